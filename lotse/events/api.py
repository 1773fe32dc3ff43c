"""Public, read-only API of the event calendar (no personal data)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from lotse.core.forms import MAX_INTEGER

from .forms import CalendarFilterForm
from .selectors import public_event, public_events

router = Router(tags=["events"])
PAGE_SIZE = 50


class CalendarFilter(Schema):
    topic: str | None = None
    target_group: str | None = None
    kind: str | None = None
    organiser: int | None = Field(None, ge=1, le=MAX_INTEGER)
    month: str | None = None
    past: bool | None = None
    page: int = Field(1, ge=1, le=10_000)


class SessionOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    address: str
    online: bool
    units: Decimal


class EventOut(Schema):
    id: int
    title: str
    summary: str
    kind: str
    topic: str
    status: str
    organiser: str
    target_groups: list[str]
    capacity: int
    places_free: int
    waitlist_enabled: bool
    fee: Decimal
    member_fee: Decimal | None
    registration_opens: datetime
    registration_closes: datetime
    sessions: list[SessionOut]


class EventPage(Schema):
    count: int
    page: int
    pages: int
    results: list[EventOut]


def _out(event: object) -> dict:
    return {
        "id": event.pk,
        "title": event.title,
        "summary": event.summary,
        "kind": event.kind,
        "topic": event.topic,
        "status": event.status,
        "organiser": event.organiser.name,
        "target_groups": [a.group for a in event.audiences.all()],
        "capacity": event.capacity,
        "places_free": event.seats_free,
        "waitlist_enabled": event.waitlist_enabled,
        "fee": event.fee,
        "member_fee": event.member_fee,
        "registration_opens": event.registration_opens,
        "registration_closes": event.registration_closes,
        "sessions": [
            {
                "id": s.pk,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "place": s.place,
                "address": s.address,
                "online": bool(s.online_url),
                "units": s.units,
            }
            for s in event.sessions.all()
        ],
    }


@router.get("/events", response=EventPage, summary="Public event calendar")
def list_events(request: HttpRequest, filters: Query[CalendarFilter]) -> dict:
    data = {k: v for k, v in filters.dict().items() if v not in (None, False)}
    data.pop("page", None)
    form = CalendarFilterForm(data)
    if not form.is_valid():
        raise HttpError(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    qs = public_events(form.to_query())
    count = qs.count()
    pages = max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(filters.page, 1), pages)
    rows = qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {"count": count, "page": page, "pages": pages, "results": [_out(e) for e in rows]}


@router.get("/events/{event_id}", response=EventOut, summary="One public event")
def get_event(request: HttpRequest, event_id: int) -> dict:
    return _out(public_event(event_id))
