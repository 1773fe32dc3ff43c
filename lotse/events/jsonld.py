"""schema.org ``Event`` / ``CourseInstance`` description of an event for search engines."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .models import Event, Session


def _location(session: Session) -> list[dict[str, Any]] | dict[str, Any]:
    places: list[dict[str, Any]] = []
    if session.place or session.address:
        places.append(
            {
                "@type": "Place",
                "name": session.place or session.address,
                "address": session.address or session.place,
            }
        )
    if session.online_url:
        # The link itself is for participants only.
        places.append({"@type": "VirtualLocation", "name": "Online"})
    return places[0] if len(places) == 1 else places


def _mode(sessions: list[Session]) -> str:
    online = any(s.online_url for s in sessions)
    offline = any(s.place or s.address for s in sessions)
    if online and offline:
        return "https://schema.org/MixedEventAttendanceMode"
    if online:
        return "https://schema.org/OnlineEventAttendanceMode"
    return "https://schema.org/OfflineEventAttendanceMode"


def event_jsonld(event: Event, request: HttpRequest) -> dict[str, Any]:
    sessions = list(event.sessions.all())
    url = request.build_absolute_uri(reverse("events:detail", args=[event.pk]))
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "CourseInstance" if event.kind == Event.Kind.TRAINING else "Event",
        "@id": url,
        "url": url,
        "name": event.title,
        "description": event.summary or event.description[:300],
        "eventStatus": (
            "https://schema.org/EventCancelled"
            if event.status == Event.Status.CANCELLED
            else "https://schema.org/EventScheduled"
        ),
        "eventAttendanceMode": _mode(sessions),
        "organizer": {"@type": "Organization", "name": event.organiser.name},
        "maximumAttendeeCapacity": event.capacity,
        "remainingAttendeeCapacity": event.seats_free,
        "audience": [
            {"@type": "Audience", "audienceType": str(a.get_group_display())}
            for a in event.audiences.all()
        ],
        "offers": _offers(event, url),
        "inLanguage": "de",
    }
    if event.organiser.website:
        data["organizer"]["url"] = event.organiser.website
    if sessions:
        data["startDate"] = sessions[0].starts_at.isoformat()
        data["endDate"] = sessions[-1].ends_at.isoformat()
        data["location"] = _location(sessions[0])
    if len(sessions) > 1:
        data["subEvent"] = [
            {
                "@type": "Event",
                "name": event.title,
                "startDate": s.starts_at.isoformat(),
                "endDate": s.ends_at.isoformat(),
                "location": _location(s),
            }
            for s in sessions
        ]
    if event.kind == Event.Kind.TRAINING:
        data["courseMode"] = (
            "online" if _mode(sessions).endswith("OnlineEventAttendanceMode") else "onsite"
        )
    if event.speaker:
        data["performer"] = {"@type": "Person", "name": event.speaker}
    return data


def _offers(event: Event, url: str) -> list[dict[str, Any]]:
    availability = (
        "https://schema.org/InStock" if event.seats_free else "https://schema.org/SoldOut"
    )
    offers = [
        {
            "@type": "Offer",
            "price": str(event.fee),
            "priceCurrency": "EUR",
            "availability": availability,
            "validFrom": event.registration_opens.isoformat(),
            "url": url,
        }
    ]
    if event.member_fee is not None:
        offers.append({**offers[0], "price": str(event.member_fee), "name": "member"})
    return offers
