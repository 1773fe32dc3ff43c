"""No overbooking under real concurrency: 500 simultaneous registrations for 20 places."""

from __future__ import annotations

import threading
from queue import Empty, SimpleQueue

import pytest
from django.db import connection, connections

from lotse.accounts.models import User
from lotse.events import services
from lotse.events.models import Registration
from lotse.events.services import RegistrationData

PEOPLE = 500
PLACES = 20
THREADS = 25  # PostgreSQL allows 100 connections here; other test runs share them


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_500_simultaneous_registrations_for_20_places(make_event):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks")
    event = make_event(capacity=PLACES)
    users = User.objects.bulk_create(
        [User(email=f"burst{n}@example.org", full_name=f"Burst {n}") for n in range(PEOPLE)]
    )
    work: SimpleQueue[User] = SimpleQueue()
    for user in users:
        work.put(user)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while True:
                try:
                    user = work.get_nowait()
                except Empty:
                    return
                services.registration_create(
                    actor=user, event=event, data=RegistrationData(email="", full_name="x")
                )
        except BaseException as exc:  # collected and reported by the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    event.refresh_from_db()
    rows = list(event.registrations.order_by("queue_number").values_list("status", "queue_number"))
    assert len(rows) == PEOPLE
    assert event.seats_taken == PLACES
    statuses = [status for status, _ in rows]
    # Exactly 20 confirmed: the first 20 to get the lock; the rest wait in arrival order.
    assert statuses == [Registration.Status.CONFIRMED] * PLACES + [
        Registration.Status.WAITLISTED
    ] * (PEOPLE - PLACES)
    assert [number for _, number in rows] == list(range(1, PEOPLE + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_cancellations_offer_each_place_once(make_event):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks")
    event = make_event(capacity=10)
    users = User.objects.bulk_create(
        [User(email=f"cancel{n}@example.org", full_name=f"C {n}") for n in range(30)]
    )
    regs = [
        services.registration_create(
            actor=u, event=event, data=RegistrationData(email="", full_name="x")
        )[0]
        for u in users
    ]
    confirmed = regs[:10]
    start = threading.Barrier(len(confirmed))

    def cancel(registration: Registration) -> None:
        try:
            start.wait()
            services.registration_cancel(actor=None, registration=registration)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in confirmed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    event.refresh_from_db()
    offered = event.registrations.filter(status=Registration.Status.OFFERED)
    assert event.seats_taken == 10 == offered.count()
    assert sorted(offered.values_list("queue_number", flat=True)) == list(range(11, 21))
