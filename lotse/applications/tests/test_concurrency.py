"""Seats, offers and acceptances under races: 200 acceptances for the last 5 seats."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections
from django.utils import timezone

from lotse.accounts.models import User
from lotse.applications import services
from lotse.applications.models import Application, Child, Guardian, Offer, SeatQuota

from .helpers import committed, next_august

N_FAMILIES = 200
SEATS = 5


def _over_offered(facility, n: int = N_FAMILIES, capacity: int = SEATS):
    """``n`` open offers for ``capacity`` seats (e.g. after the facility cut its seats)."""
    start = next_august()
    quota = SeatQuota.objects.create(
        facility=facility, seat_type="ue3", start_month=start, capacity=capacity
    )
    users = User.objects.bulk_create(
        User(email=f"race{i}@test.example", full_name=f"Race {i}") for i in range(n)
    )
    children = Child.objects.bulk_create(
        Child(first_name="Kind", last_name=f"R{i}", birth_date=dt.date(start.year - 4, 1, 1))
        for i in range(n)
    )
    Guardian.objects.bulk_create(
        Guardian(child=c, user=u) for c, u in zip(children, users, strict=True)
    )
    apps = Application.objects.bulk_create(
        Application(
            child=c,
            status="offered",
            municipality="Flensburg",
            desired_start=start,
            weekly_hours=35,
            submitted_at=timezone.now(),
        )
        for c in children
    )
    deadline = timezone.now() + dt.timedelta(days=3)
    offers = Offer.objects.bulk_create(
        Offer(
            application=a,
            facility=facility,
            quota=quota,
            seat_type="ue3",
            start_month=start,
            wish_rank=1,
            deadline=deadline,
        )
        for a in apps
    )
    return quota, list(zip(users, offers, strict=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_acceptances_never_oversell(make_facility):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks")
    facility = make_facility()
    quota, pairs = _over_offered(facility)
    barrier = threading.Barrier(40)
    results: list[str] = []
    lock = threading.Lock()

    def accept(pair) -> None:
        user, offer = pair
        try:
            if pair[1].pk % 5 == 0:  # start in waves so that many hit the lock at once
                try:
                    barrier.wait(timeout=5)
                except threading.BrokenBarrierError:
                    pass
            services.offer_accept(actor=user, offer=offer)
            outcome = "ok"
        except ValidationError:
            outcome = "refused"
        except IntegrityError:
            outcome = "integrity"
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    with ThreadPoolExecutor(max_workers=40) as pool:
        list(pool.map(accept, pairs))
    quota.refresh_from_db()
    assert len(results) == N_FAMILIES
    assert results.count("ok") == SEATS
    assert results.count("integrity") == 0  # a clear message, never a database error
    assert quota.taken == SEATS
    assert Offer.objects.filter(status="accepted").count() == SEATS
    assert Application.objects.filter(status="placed").count() == SEATS


@pytest.mark.django_db
def test_sequential_acceptances_stop_at_capacity(make_facility):
    """The same guarantee on SQLite, sequentially: lock + check + CHECK constraint."""
    facility = make_facility()
    quota, pairs = _over_offered(facility, n=8, capacity=3)
    outcomes = []
    for user, offer in pairs:
        try:
            with committed():
                services.offer_accept(actor=user, offer=offer)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
    quota.refresh_from_db()
    assert outcomes.count("ok") == 3 and quota.taken == 3
    # The database itself refuses an oversell that bypasses the service.
    with pytest.raises(IntegrityError):
        SeatQuota.objects.filter(pk=quota.pk).update(taken=4)


@pytest.mark.django_db
def test_one_active_offer_and_application_per_child(make_facility):
    facility = make_facility()
    quota, pairs = _over_offered(facility, n=1, capacity=3)
    _, offer = pairs[0]
    with pytest.raises(IntegrityError):
        Offer.objects.create(
            application=offer.application,
            facility=facility,
            quota=quota,
            seat_type="ue3",
            start_month=quota.start_month,
            deadline=timezone.now(),
        )
