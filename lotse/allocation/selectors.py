"""Reads of the allocation app, scoped to the Jugendamt organisations of the user."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import organisations_for_user
from lotse.applications.models import Application
from lotse.directory.models import District

from .models import AllocationRules, Outcome, Round, Simulation

JUGENDAMT_ROLES = [Role.PLANNER, Role.ADMIN]


def jugendamt_organisations(user: User) -> QuerySet[Organisation]:
    """Jugendamt organisations in which the user is a planner or an admin."""
    return organisations_for_user(user, JUGENDAMT_ROLES).filter(kind=Organisation.Kind.JUGENDAMT)


def jugendamt_municipalities(user: User) -> set[str]:
    return set(jugendamt_organisations(user).values_list("municipality", flat=True)) - {""}


def active_rules_for_municipality(municipality: str) -> AllocationRules | None:
    return (
        AllocationRules.objects.filter(
            is_active=True,
            organisation__kind=Organisation.Kind.JUGENDAMT,
            organisation__municipality=municipality,
        )
        .order_by("pk")
        .first()
    )


def rules_for_user(user: User) -> QuerySet[AllocationRules]:
    return AllocationRules.objects.filter(
        organisation__in=jugendamt_organisations(user)
    ).select_related("organisation")


def get_rules_for_user(user: User, pk: int) -> AllocationRules:
    return get_object_or_404(rules_for_user(user), pk=pk)


def rounds_for_user(user: User) -> QuerySet[Round]:
    return (
        Round.objects.filter(organisation__in=jugendamt_organisations(user))
        .select_related("organisation", "rules", "published_rules")
        .defer("snapshot")
    )


def get_round_for_user(user: User, pk: int, *, with_snapshot: bool = False) -> Round:
    qs = Round.objects.filter(organisation__in=jugendamt_organisations(user)).select_related(
        "organisation", "rules", "published_rules"
    )
    if not with_snapshot:
        qs = qs.defer("snapshot")
    return get_object_or_404(qs, pk=pk)


def simulations_of(round_: Round) -> QuerySet[Simulation]:
    return round_.simulations.select_related("rules").order_by("-created_at", "-id")


def get_simulation(round_: Round, pk: int) -> Simulation:
    return get_object_or_404(simulations_of(round_), pk=pk)


def latest_outcome(application: Application) -> Outcome | None:
    """The outcome of the newest published round for the application (for the status page)."""
    return (
        Outcome.objects.filter(application=application, round__status__in=["published", "closed"])
        .select_related("round", "offer")
        # The round's snapshot is the engine's whole input (megabytes for a city); every
        # family's status page loaded and decoded it (docs/performance.md, offers day).
        .defer("round__snapshot")
        .order_by("-round__published_at", "-pk")
        .first()
    )


def applications_for_jugendamt(user: User) -> QuerySet[Application]:
    return Application.objects.filter(
        municipality__in=jugendamt_municipalities(user)
    ).select_related("child", "home_district")


def round_outcome_counts(round_: Round) -> dict[str, int]:
    from django.db.models import Count

    rows = (
        Application.objects.filter(outcomes__round=round_).values("status").annotate(n=Count("id"))
    )
    return {r["status"]: r["n"] for r in rows}


def published_rules() -> QuerySet[AllocationRules]:
    """The rule sets in force, for the public rules page (no personal data)."""
    return (
        AllocationRules.objects.filter(
            is_active=True, organisation__kind=Organisation.Kind.JUGENDAMT
        )
        .select_related("organisation")
        .order_by("organisation__municipality")
    )


def district_names() -> dict[str, str]:
    """District names by id as text, the form the engine's statistics use as keys."""
    return {str(pk): name for pk, name in District.objects.values_list("pk", "name")}


def snapshot_summary(round_: Round) -> dict[str, int] | None:
    """Applications and free seats in a round's snapshot, or None before the snapshot."""
    if not round_.snapshot_at:
        return None
    snapshot = Round.objects.filter(pk=round_.pk).values_list("snapshot", flat=True).first()
    if snapshot is None:
        return {"applications": 0, "seats": 0}
    return {
        "applications": len(snapshot["application"]),
        "seats": sum(snapshot["quota"]["free"]),
    }


def round_certificate(user: User, pk: int) -> tuple[Round, dict[str, object]]:
    """A published round of the user's Jugendamt and its fairness certificate (404 otherwise)."""
    from . import engine_io

    round_ = get_round_for_user(user, pk, with_snapshot=True)
    published = round_.status == Round.Status.PUBLISHED
    if not published or round_.published_rules is None or round_.snapshot is None:
        raise Http404
    return round_, engine_io.certificate(
        round_.snapshot, round_.published_rules, round_.published_assignment
    )


def snapshot_quota_choices(round_: Round) -> list[tuple[str, str]]:
    """(facility id:band, "Name – band") for every facility and age band in the snapshot."""
    from lotse.directory.models import AgeBand, Facility

    if round_.snapshot is None:
        return []
    q = round_.snapshot["quota"]
    pairs = sorted(set(zip(q["facility"], q["band"], strict=True)))
    names = dict(Facility.objects.filter(pk__in={f for f, _ in pairs}).values_list("pk", "name"))
    bands = dict(AgeBand.choices)
    return [(f"{f}:{b}", f"{names.get(f, f)} – {bands.get(b, b)}") for f, b in pairs]


def round_what_if(round_: Round, *, facility: int, band: str, seats: int) -> object:
    """The what-if re-run (engine_io.what_if) with the round's published or chosen rules."""
    from . import engine_io

    if round_.snapshot is None:
        raise Http404
    rules = round_.published_rules or round_.rules
    return engine_io.what_if(round_.snapshot, rules, facility=facility, band=band, seats=seats)
