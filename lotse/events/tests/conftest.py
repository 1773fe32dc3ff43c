"""Fixtures for the events tests: an association with a coordinator and a ready event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lotse.accounts.models import Organisation, Role
from lotse.events.models import Event, EventAudience, Session


@pytest.fixture
def association(make_org) -> Organisation:
    return make_org(Organisation.Kind.ASSOCIATION, name="Verband der Elterninitiativen")


@pytest.fixture
def organiser(make_user, association):
    return make_user(Role.COORDINATOR, association, full_name="Vera Verband")


@pytest.fixture
def make_event(db, association) -> Callable[..., Event]:
    def make(
        *,
        sessions: int = 1,
        units: str = "4",
        organiser: Organisation | None = None,
        starts_in: timedelta = timedelta(days=14),
        **fields,
    ) -> Event:
        now = timezone.now()
        defaults = {
            "title": "Sprachförderung im Kita-Alltag",
            "summary": "Methoden für den Alltag",
            "topic": "language",
            "kind": Event.Kind.TRAINING,
            "capacity": 2,
            "fee": Decimal("40.00"),
            "registration_opens": now - timedelta(days=1),
            "registration_closes": now + starts_in - timedelta(days=1),
            "status": Event.Status.PUBLISHED,
            "contact_email": "fortbildung@verband.example",
        }
        defaults.update(fields)
        event = Event.objects.create(organiser=organiser or association, **defaults)
        EventAudience.objects.create(event=event, group="educators")
        start = (now + starts_in).replace(hour=9, minute=0, second=0, microsecond=0)
        for i in range(sessions):
            Session.objects.create(
                event=event,
                starts_at=start + timedelta(days=7 * i),
                ends_at=start + timedelta(days=7 * i, hours=3),
                place="Familienzentrum Mürwik",
                address="Kielseng 1, 24944 Flensburg",
                units=Decimal(units),
            )
        return event

    return make


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the mail queue) inside the test transaction."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def begin_sessions(event: Event) -> None:
    """Move the event's dates into the past (attendance needs dates that have begun)."""
    from django.db.models import F, Max

    last = event.sessions.aggregate(last=Max("starts_at"))["last"]
    shift = last - timezone.now() + timedelta(days=1)
    event.sessions.update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
