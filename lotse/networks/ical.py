"""RFC 5545 calendars of network meetings (feed for members, attachment of invitations)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event

from .models import Meeting


def _event(meeting: Meeting) -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@{settings.SITE_URL.split('//')[-1]}")
    event.add("summary", meeting.title)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("dtstamp", meeting.minutes_updated_at or meeting.starts_at)
    location = meeting.location or meeting.online_url
    if location:
        event.add("location", location)
    if meeting.status == Meeting.Status.CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    url = settings.SITE_URL + reverse("networks:meeting", args=[meeting.network_id, meeting.pk])
    event.add("url", url)
    event.add("description", url if not meeting.online_url else f"{meeting.online_url}\n{url}")
    return event


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Lotse//Networks//DE")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", " ".join(str(name).split()))  # one line (see events.ical)
    return cal


def network_ics(name: str, meetings: Iterable[Meeting]) -> bytes:
    cal = _calendar(name)
    for meeting in meetings:
        cal.add_component(_event(meeting))
    return cal.to_ical()


def meeting_ics(meeting: Meeting) -> bytes:
    cal = _calendar(meeting.network.name)
    cal.add_component(_event(meeting))
    return cal.to_ical()
