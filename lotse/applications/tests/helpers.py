"""Shared builders for the applications and allocation tests."""

from __future__ import annotations

import datetime as dt

from django.test import TestCase
from django.utils import timezone

from lotse.accounts.models import Organisation, Role
from lotse.allocation import services as allocation
from lotse.allocation.models import AllocationRules
from lotse.applications import services
from lotse.applications.models import SeatQuota


def committed():
    """Run on-commit callbacks (mails, re-runs) as if the service's transaction committed."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def next_august() -> dt.date:
    today = timezone.localdate()
    year = today.year + 1 if today.month >= 8 else today.year
    return dt.date(year, 8, 1)


def kindergarten_birth(start: dt.date, years: int = 4) -> dt.date:
    """A birth date that makes the child ``years`` old at ``start`` (seat type ue3 for 3–5)."""
    return dt.date(start.year - years, 3, 15)


def jugendamt(make_org, make_user, municipality: str = "Flensburg"):
    org = make_org(kind=Organisation.Kind.JUGENDAMT, municipality=municipality)
    planner = make_user(role=Role.PLANNER, organisation=org)
    return org, planner


def seats(facility, capacity: int, start: dt.date, seat_type: str = "ue3") -> SeatQuota:
    quota = SeatQuota.objects.create(
        facility=facility, seat_type=seat_type, start_month=start, capacity=capacity
    )
    services.sync_free_places([facility.pk])
    return quota


def apply(user, facilities, *, name: str = "Mia", start: dt.date | None = None, **facts):
    start = start or next_august()
    with committed():
        return services.application_submit(
            actor=user,
            first_name=name,
            last_name=user.email.split("@")[0],
            birth_date=facts.pop("birth_date", kindergarten_birth(start)),
            wishes=list(facilities),
            desired_start=start,
            weekly_hours=facts.pop("weekly_hours", 35),
            consent=True,
            **facts,
        )


def rules(
    org,
    planner,
    criteria=("sibling", "social_urgency", "catchment", "age"),
    name: str = "Standard",
    published: bool = True,
    **extra,
) -> AllocationRules:
    r = allocation.rules_save(
        actor=planner, organisation=org, name=name, criteria=list(criteria), is_active=True, **extra
    )
    if published:
        r = allocation.rules_publish_seed(actor=planner, rules=r, seed=r.lottery_seed)
    return r


def published_round(org, planner, rule_set: AllocationRules, start: dt.date | None = None):
    start = start or next_august()
    round_ = allocation.round_create(
        actor=planner,
        organisation=org,
        name="Kita-Jahr",
        rules=rule_set,
        start_from=start,
        start_until=start,
    )
    round_ = allocation.round_snapshot(actor=planner, round_=round_)
    return publish(planner, round_, rule_set)


def publish(planner, round_, rule_set: AllocationRules, **kwargs):
    """Review the run (round_publish_preview), then publish it with that confirmation."""
    preview = allocation.round_publish_preview(actor=planner, round_=round_, rules=rule_set)
    with committed():
        return allocation.round_publish(
            actor=planner,
            round_=round_,
            rules=rule_set,
            confirmation=preview["digest"],
            **kwargs,
        )
