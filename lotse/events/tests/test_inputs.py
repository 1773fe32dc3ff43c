"""Fees typed the German way and dates that make sense on events (issue 17)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lotse.events.models import Event

pytestmark = pytest.mark.django_db


def _event(association, **changes: str) -> dict[str, object]:
    now = timezone.localtime()
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        "organiser": association.pk,
        "kind": "training",
        "title": "Sprachförderung im Alltag",
        "topic": "parents",
        "capacity": "30",
        "fee": "1.250,50",
        "member_fee": "980,00",
        "target_groups": ["educators"],
        "registration_opens": now.strftime(fmt),
        "registration_closes": (now + timedelta(days=20)).strftime(fmt),
        "offer_hours": "48",
        "reminder_days": "3",
        "attendance_threshold": "80",
    }
    return data | changes


def test_fees_in_german_notation(client_for, organiser, association):
    client = client_for(organiser)
    response = client.post("/events/manage/new/", _event(association, capacity="30"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    event = Event.objects.get(title="Sprachförderung im Alltag")
    assert (event.fee, event.member_fee) == (Decimal("1250.50"), Decimal("980.00"))
    form = client.get(f"/events/manage/{event.pk}/edit/").content.decode()
    assert 'value="1.250,50"' in form and 'value="980,00"' in form
    day = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(
        f"/events/manage/{event.pk}/sessions/",
        {"day": day, "start": "09:00", "end": "12:00", "place": "Saal", "units": "3"},
    )
    client.post(f"/events/manage/{event.pk}/publish/")
    detail = client.get(f"/events/{event.pk}/").content.decode()
    assert "1.250,50 EUR" in detail


def test_member_price_cannot_exceed_the_price(client_for, organiser, association):
    response = client_for(organiser).post(
        "/events/manage/new/",
        _event(association, capacity="30", fee="100,00", member_fee="120,00"),
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Der Mitgliedspreis kann nicht höher sein als der Preis." in body
    assert 'value="120,00"' in body and 'value="Sprachförderung im Alltag"' in body
    assert not Event.objects.exists()


def test_no_session_in_2020_on_a_new_event(client_for, organiser, make_event):
    event = make_event(sessions=0)
    response = client_for(organiser).post(
        f"/events/manage/{event.pk}/sessions/",
        {"day": "2020-03-02", "start": "09:00", "end": "12:00", "place": "Saal", "units": "2,5"},
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "bereits vorbei" in body
    assert 'value="2,5"' in body and 'value="Saal"' in body
    assert not event.sessions.exists()
    day = (timezone.localdate() + timedelta(days=14)).strftime("%d.%m.%Y")
    response = client_for(organiser).post(
        f"/events/manage/{event.pk}/sessions/",
        {"day": day, "start": "09:00", "end": "12:00", "place": "Saal", "units": "2,5"},
    )
    assert response.status_code == 302
    assert event.sessions.get().units == Decimal("2.5")


def test_the_calendar_month_filter_is_a_month_picker(client, make_event):
    event = make_event(title="Elternabend Sprache")
    start = timezone.localtime(event.sessions.get().starts_at)
    page = client.get("/events/").content.decode()
    assert 'type="month"' in page and 'name="month"' in page
    # Where a browser has no month picker, people type "03/2026" or "3.2026".
    for typed in (start.strftime("%Y-%m"), start.strftime("%m/%Y"), f"{start.month}.{start.year}"):
        response = client.get("/events/", {"month": typed})
        assert response.status_code == 200, typed
        assert "Elternabend Sprache" in response.content.decode(), typed
    response = client.get("/events/", {"month": "2026-13"}, headers={"accept-language": "de"})
    assert "Bitte geben Sie den Monat als Jahr und Monat an" in response.content.decode()
