"""Two funders deciding the same application at once grant it only once (row lock)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from lotse.networks import services_funding as funding
from lotse.networks.models import Grant

from .conftest import World


def _decide(world: World, results: list[str], barrier: threading.Barrier) -> None:
    try:
        barrier.wait()
        funding.funding_application_decide(
            actor=world.funder,
            application=world.application,
            approve=True,
            amount=Decimal("20000.00"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        results.append("ok")
    except ValidationError:
        results.append("refused")
    finally:
        connections.close_all()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_grant_once(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    results: list[str] = []
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=_decide, args=(world, results, barrier)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert Grant.objects.filter(application=world.application).count() == 1


@pytest.mark.django_db
def test_sequential_second_decision_is_refused(world: World) -> None:
    kwargs = dict(
        actor=world.funder,
        application=world.application,
        approve=True,
        amount=Decimal("20000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    funding.funding_application_decide(**kwargs)
    with pytest.raises(ValidationError):
        funding.funding_application_decide(**kwargs)
    assert Grant.objects.filter(application=world.application).count() == 1
