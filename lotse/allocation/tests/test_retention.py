"""The allocation retention job clears the proof of a closed round only after its period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from lotse.accounts.models import Organisation
from lotse.allocation.models import AllocationRules, Round, Simulation
from lotse.allocation.retention import SNAPSHOT_RETENTION_MONTHS, retention_job
from lotse.core.retention import months_before

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2030, 6, 15, 3, 0))


def _round(rules: AllocationRules, published_at: timezone.datetime, status: str) -> Round:
    return Round.objects.create(
        organisation=rules.organisation,
        name=f"Runde {published_at:%Y-%m}",
        rules=rules,
        start_from=date(2026, 8, 1),
        start_until=date(2027, 7, 31),
        status=status,
        snapshot={"applications": [1, 2]},
        published_at=published_at,
        published_rules=rules,
        published_assignment={"assignment": {"1": 7, "2": None}},
    )


def test_closed_rounds_lose_snapshot_and_published_assignment_after_the_period(make_org):
    jugendamt = make_org(Organisation.Kind.JUGENDAMT)
    rules = AllocationRules.objects.create(organisation=jugendamt, name="Regeln", lottery_seed=7)
    cutoff = months_before(NOW, SNAPSHOT_RETENTION_MONTHS)
    old = _round(rules, cutoff - timedelta(days=1), Round.Status.CLOSED)
    recent = _round(rules, cutoff + timedelta(days=1), Round.Status.CLOSED)
    still_open = _round(rules, cutoff - timedelta(days=1), Round.Status.PUBLISHED)
    results = {"1": [7, 1], "2": [None, None]}
    old_sim = Simulation.objects.create(round=old, rules=rules, results=results)
    recent_sim = Simulation.objects.create(round=recent, rules=rules, results=results)

    assert retention_job(NOW)[0].startswith("allocation: snapshots of 1 closed round(s)")

    for round_ in (old, recent, still_open):
        round_.refresh_from_db()
    assert (old.snapshot, old.published_assignment) == (None, None)
    assert recent.snapshot and recent.published_assignment
    assert still_open.snapshot and still_open.published_assignment
    # A simulation's per-child results go with the snapshot they were computed from.
    old_sim.refresh_from_db()
    recent_sim.refresh_from_db()
    assert (old_sim.results, recent_sim.results) == ({}, results)
