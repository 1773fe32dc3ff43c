"""iCalendar (RFC 5545) for the public calendar, one event, and a participant's own entry.

One VEVENT per date (session) with a stable UID, times in Europe/Berlin with a VTIMEZONE, and
escaping left to the ``icalendar`` library. Online links go only into a confirmed
participant's own calendar entry, never into the public feeds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .models import Event, Registration, Session

BERLIN = ZoneInfo("Europe/Berlin")


def _host() -> str:
    return settings.SITE_URL.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "lotse"


def session_uid(session: Session) -> str:
    return f"lotse-event-{session.event_id}-session-{session.pk}@{_host()}"


def _location(session: Session, *, private: bool) -> str:
    parts = [p for p in (session.place, session.address) if p]
    if session.online_url:
        parts.append(session.online_url if private else "Online")
    return ", ".join(parts)


def _vevent(event: Event, session: Session, *, private: bool) -> icalendar.Event:
    url = settings.SITE_URL.rstrip("/") + reverse("events:detail", args=[event.pk])
    item = icalendar.Event()
    item.add("uid", session_uid(session))
    item.add("dtstamp", datetime.now(UTC))
    item.add("last-modified", event.updated_at.astimezone(UTC))
    item.add("dtstart", timezone.localtime(session.starts_at, BERLIN))
    item.add("dtend", timezone.localtime(session.ends_at, BERLIN))
    item.add("summary", event.title)
    description = "\n\n".join(p for p in (event.summary, event.description, url) if p)
    item.add("description", description)
    item.add("url", url)
    location = _location(session, private=private)
    if location:
        item.add("location", location)
    item.add(
        "organizer",
        f"mailto:{event.contact_email or 'noreply@' + _host()}",
        parameters={"CN": event.organiser.name},
    )
    item.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
    item.add("categories", [event.get_kind_display(), event.get_topic_display()])
    return item


def build_calendar(events: Iterable[Event], *, name: str, private: bool = False) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Lotse//Events//DE")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # X- properties are written as they are: a line break in a title would end the line and
    # break the whole feed, so the calendar's name is one line.
    cal.add("x-wr-calname", " ".join(str(name).split()))
    cal.add("x-wr-timezone", "Europe/Berlin")
    for event in events:
        for session in event.sessions.all():
            cal.add_component(_vevent(event, session, private=private))
    cal.add_missing_timezones()
    return cal.to_ical()


def event_calendar(event: Event) -> bytes:
    return build_calendar([event], name=event.title)


def registration_calendar(registration: Registration) -> bytes:
    """The participant's own entry; includes online links only once the place is confirmed."""
    private = registration.status == Registration.Status.CONFIRMED
    return build_calendar([registration.event], name=registration.event.title, private=private)
