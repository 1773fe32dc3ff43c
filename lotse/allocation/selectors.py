"""Reads of the allocation app, scoped to the Jugendamt organisations of the user."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    Exists,
    Field,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.shortcuts import get_object_or_404

from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import organisations_for_user
from lotse.applications.models import Application, Offer, Wish
from lotse.applications.services import facility_municipality
from lotse.directory.models import DEFAULT_MIXED_WEIGHT, District, Facility

from .models import AllocationRules, Outcome, Round, Run, Simulation, round_large_fields
from .snapshot import Snapshot

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


def mixed_weight_for(facility: Facility) -> int:
    """Places an under-3 child counts in a mixed group at this facility: the rule of its
    municipality's active rule set (the default where none is active)."""
    rules = active_rules_for_municipality(facility_municipality(facility))
    return rules.mixed_under3_weight if rules is not None else DEFAULT_MIXED_WEIGHT


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
        qs = qs.defer("snapshot", "publish_preview")
    return get_object_or_404(qs, pk=pk)


#: Rows of each kind of change shown on the confirmation page (the counts are complete).
REVIEW_ROWS = 500


def has_publish_review(round_: Round) -> bool:
    return Round.objects.filter(pk=round_.pk, publish_preview__isnull=False).exists()


def publish_review(round_: Round) -> dict[str, Any] | None:
    """The run awaiting confirmation with names: who gains an offer, who loses one, who
    changes facility (child's name, application number, facilities), and the counts."""
    preview = round_.publish_preview
    if not preview:
        return None
    diff = preview["diff"]
    shown = {kind: diff[kind][:REVIEW_ROWS] for kind in ("gain", "lose", "change")}
    app_ids = {row[0] for rows in shown.values() for row in rows}
    facility_ids = {f for rows in shown.values() for row in rows for f in row[1:]}
    children = {
        pk: f"{first} {last}"
        for pk, first, last in Application.objects.filter(pk__in=app_ids).values_list(
            "pk", "child__first_name", "child__last_name"
        )
    }
    facilities = dict(Facility.objects.filter(pk__in=facility_ids).values_list("pk", "name"))

    def label(rows: list[list[int]]) -> list[dict[str, Any]]:
        return [
            {
                "application": row[0],
                "child": children.get(row[0], "?"),
                "facilities": [facilities.get(f, "?") for f in row[1:]],
            }
            for row in rows
        ]

    return {
        "rules": AllocationRules.objects.get(pk=preview["rules"]),
        "preview": preview,
        "counts": diff["counts"],
        "digest": preview["digest"],
        "limit": REVIEW_ROWS,
        **{kind: label(rows) for kind, rows in shown.items()},
    }


def simulations_of(round_: Round) -> QuerySet[Simulation]:
    # ``results`` holds one entry per child (megabytes for a city): only the comparison reads it.
    return (
        round_.simulations.select_related("rules", "created_by")
        .defer("results")
        .order_by("-created_at", "-id")
    )


def simulation_results(simulation: Simulation) -> dict[str, list[int | None]]:
    results = Simulation.objects.filter(pk=simulation.pk).values_list("results", flat=True).first()
    return results or {}


@dataclass(frozen=True)
class ChildDifference:
    application: Application
    a: tuple[str | None, int | None]  # (facility name, wish rank) with rule set A
    b: tuple[str | None, int | None]

    @property
    def pair(self) -> tuple[tuple[str | None, int | None], ...]:
        return (self.a, self.b)


def simulation_differences(
    a: Simulation, b: Simulation, *, limit: int = 500
) -> tuple[int | None, list[ChildDifference]]:
    """The children whose result differs between two simulations of a round (facility or
    none), the number of them and the first ``limit`` by application number. ``None`` when
    a simulation kept no results per child (run before they were kept)."""
    first, second = simulation_results(a), simulation_results(b)
    if not first or not second:
        return None, []
    differing = sorted(
        int(app)
        for app in set(first) | set(second)
        if (first.get(app) or [None])[0] != (second.get(app) or [None])[0]
    )
    shown = differing[:limit]
    applications = Application.objects.select_related("child").in_bulk(shown)
    facility_ids = {
        r[0]
        for results in (first, second)
        for app in shown
        if (r := results.get(str(app))) and r[0]
    }
    names = facility_names(facility_ids)

    def result(results: dict[str, list[int | None]], app: int) -> tuple[str | None, int | None]:
        facility, rank = (results.get(str(app)) or [None, None])[:2]
        return (names.get(facility, "?") if facility else None, rank)

    return len(differing), [
        ChildDifference(applications[app], result(first, app), result(second, app))
        for app in shown
        if app in applications
    ]


def get_simulation(round_: Round, pk: int) -> Simulation:
    return get_object_or_404(simulations_of(round_), pk=pk)


def latest_outcome(application: Application) -> Outcome | None:
    """The outcome of the newest published round for the application (for the status page)."""
    return (
        Outcome.objects.filter(application=application, round__status__in=["published", "closed"])
        .select_related("round", "round__published_rules", "round__rules", "offer")
        # The round's snapshot and assignment are megabytes for a city; every family's
        # status page loaded and decoded them (docs/performance.md, offers day).
        .defer(*round_large_fields("round__"))
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
    """A published round of the user's Jugendamt and the fairness certificate of its
    publication (404 otherwise): from its run record (run 0), or for rounds published before
    runs were recorded from the round's published rules and assignment."""
    from . import engine_io, runs

    round_ = get_round_for_user(user, pk, with_snapshot=True)
    published = round_.status == Round.Status.PUBLISHED
    if not published or round_.published_rules is None or round_.snapshot is None:
        raise Http404
    run = Run.objects.defer(None).filter(round=round_, number=0).first()
    if run is not None:
        return round_, runs.certificate(round_, run)
    return round_, engine_io.certificate(
        round_.snapshot, round_.published_rules, round_.published_assignment
    )


def runs_of(round_: Round) -> QuerySet[Run]:
    """The binding runs of a round, newest first (without their large input)."""
    return round_.runs.select_related("ran_by").order_by("-number")


def run_certificate(user: User, pk: int, number: int) -> tuple[Round, dict[str, object]]:
    """One run of a round of the user's Jugendamt and its fairness certificate (404 for
    another Jugendamt's round, an unknown run, or once the snapshot is no longer kept)."""
    from . import runs

    round_ = get_round_for_user(user, pk, with_snapshot=True)
    run = get_object_or_404(Run.objects.defer(None), round=round_, number=number)
    if round_.snapshot is None:
        raise Http404
    return round_, runs.certificate(round_, run)


def snapshot_quota_choices(round_: Round) -> list[tuple[str, str]]:
    """(facility id:band, "Name – band") for every facility and seat type in the snapshot."""
    from lotse.directory.models import Facility, SeatType

    if round_.snapshot is None:
        return []
    q = round_.snapshot["quota"]
    pairs = sorted(set(zip(q["facility"], q["band"], strict=True)))
    names = dict(Facility.objects.filter(pk__in={f for f, _ in pairs}).values_list("pk", "name"))
    bands = dict(SeatType.choices)
    return [(f"{f}:{b}", f"{names.get(f, f)} – {bands.get(b, b)}") for f, b in pairs]


def round_what_if(round_: Round, *, facility: int, band: str, seats: int) -> object:
    """The what-if re-run (engine_io.what_if) with the round's published or chosen rules."""
    from . import engine_io

    if round_.snapshot is None:
        raise Http404
    rules = round_.published_rules or round_.rules
    return engine_io.what_if(round_.snapshot, rules, facility=facility, band=band, seats=seats)


# --------------------------------------------------------------------------- planner's view
# The planner's view of a round: the municipality's applications with their current offer
# and waiting position, one application with its history, and the facilities' offers and
# waiting lists. Everything is scoped to the user's Jugendamt municipalities.


def _latest_offer(field: str) -> Subquery:
    return Subquery(
        Offer.objects.filter(application=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values(field)[:1]
    )


def _latest_outcome(field: str, output: Field | None = None) -> Subquery:
    outcomes = Outcome.objects.filter(
        application=OuterRef("pk"), round__status__in=["published", "closed"]
    ).order_by("-round__published_at", "-pk")
    return Subquery(outcomes.values(field)[:1], output_field=output)


def application_overview(user: User) -> QuerySet[Application]:
    """The municipality's applications (not drafts), each with its newest offer (facility,
    status) and its place on the waiting list of its best wish in the newest published round
    (``position``/``position_facility``): one query per page, whatever the page size."""
    return (
        applications_for_jugendamt(user)
        .exclude(status=Application.Status.DRAFT)
        .annotate(
            offer_facility=_latest_offer("facility__name"),
            offer_facility_id=_latest_offer("facility_id"),
            offer_status=_latest_offer("status"),
            position=_latest_outcome("waiting__0__position", IntegerField()),
            position_facility=_latest_outcome("waiting__0__facility", IntegerField()),
        )
    )


def wishes_of(applications: Sequence[Application]) -> dict[int, list[Wish]]:
    """The ranked wishes (with facility) of the applications on a page, in one query."""
    wishes: dict[int, list[Wish]] = {a.pk: [] for a in applications}
    for wish in (
        Wish.objects.filter(application__in=list(wishes))
        .select_related("facility")
        .only("application_id", "rank", "facility__name")
        .order_by("application_id", "rank")
    ):
        wishes[wish.application_id].append(wish)
    return wishes


def facility_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Facility.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def get_application_for_jugendamt(user: User, pk: int) -> Application:
    """One application of the user's municipality (404 for any other)."""
    return get_object_or_404(
        applications_for_jugendamt(user).select_related(
            "sibling_facility", "staff_facility", "counselling_organisation"
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class ApplicationHistory:
    wishes: list[Wish]
    offers: list[Offer]
    outcomes: list[Outcome]
    audit: QuerySet[LogEntry]


def application_history(application: Application) -> ApplicationHistory:
    """Wishes, every offer (newest first), the outcome of every round and the audit entries
    of the application, its wishes and offers (all of them: the page lists them in pages)."""
    wishes = list(application.wishes.select_related("facility").order_by("rank"))
    offers = list(application.offers.select_related("facility").order_by("-created_at", "-pk"))
    outcomes = list(
        Outcome.objects.filter(application=application)
        .select_related("round", "offer__facility")
        .defer(*round_large_fields("round__"))
        .order_by("-round__created_at", "-pk")
    )
    types = ContentType.objects.get_for_models(Application, Wish, Offer)
    condition = Q(content_type=types[Application], object_pk=str(application.pk))
    condition |= Q(content_type=types[Wish], object_pk__in=[str(w.pk) for w in wishes])
    condition |= Q(content_type=types[Offer], object_pk__in=[str(o.pk) for o in offers])
    audit = (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )
    return ApplicationHistory(wishes, offers, outcomes, audit)


# Offer statuses as the facility view counts them (an expired offer counts as declined).
_OFFER_COLUMNS = {
    "accepted": [Offer.Status.ACCEPTED],
    "open": [Offer.Status.OFFERED],
    "declined": [Offer.Status.DECLINED, Offer.Status.EXPIRED],
    "superseded": [Offer.Status.SUPERSEDED],
}


def facility_overview(user: User) -> QuerySet[Facility]:
    """Facilities the municipality's children wished for or were offered, with the offers
    made to those children: made, accepted, open, declined (or expired), superseded."""
    municipalities = jugendamt_municipalities(user)
    mine = Q(offers__application__municipality__in=municipalities)
    counts = {
        f"offers_{key}": Count("offers", filter=mine & Q(offers__status__in=statuses))
        for key, statuses in _OFFER_COLUMNS.items()
    }
    wished = Wish.objects.filter(
        facility=OuterRef("pk"),
        application__municipality__in=municipalities,
        application__status__in=Application.ACTIVE,
    ).exclude(application__status=Application.Status.DRAFT)
    return (
        Facility.objects.filter(
            Exists(
                Wish.objects.filter(
                    facility=OuterRef("pk"), application__municipality__in=municipalities
                )
            )
            | Exists(
                Offer.objects.filter(
                    facility=OuterRef("pk"), application__municipality__in=municipalities
                )
            )
        )
        .annotate(
            offers_made=Count("offers", filter=mine),
            **counts,
            wishing=Subquery(
                wished.order_by().values("facility").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
        )
        .select_related("district")
    )


def get_facility_for_jugendamt(user: User, pk: int) -> Facility:
    return get_object_or_404(facility_overview(user), pk=pk)


def facility_offers(user: User, facility: Facility) -> QuerySet[Offer]:
    """The offers the facility made to the municipality's children, newest first."""
    return (
        Offer.objects.filter(
            facility=facility, application__municipality__in=jugendamt_municipalities(user)
        )
        .select_related("application__child")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class WaitingEntry:
    position: int
    application: Application
    wish: int
    round_name: str


def facility_waiting_list(user: User, facility: Facility) -> list[WaitingEntry]:
    """Children still waiting for a better place at the facility, by their position on its
    list in the newest published round (the order the next re-run follows)."""
    outcomes = (
        Outcome.objects.filter(
            round__status__in=["published", "closed"],
            application__municipality__in=jugendamt_municipalities(user),
            application__status__in=[Application.Status.OFFERED, Application.Status.WAITING],
            application__wishes__facility=facility,
        )
        .select_related("application__child", "round")
        .defer(*round_large_fields("round__"))
        .order_by("application_id", "-round__published_at", "-pk")
    )
    newest: dict[int, Outcome] = {}
    for outcome in outcomes:
        newest.setdefault(outcome.application_id, outcome)
    entries = []
    for outcome in newest.values():
        for place in outcome.waiting:
            if int(place["facility"]) == facility.pk:
                wish = next(
                    (
                        int(r.get("wish", 0))
                        for r in outcome.reasons
                        if int(r["facility"]) == facility.pk
                    ),
                    0,
                )
                entries.append(
                    WaitingEntry(
                        int(place["position"]), outcome.application, wish, outcome.round.name
                    )
                )
    return sorted(entries, key=lambda e: (e.position, e.application.pk))


def _snapshot_facility_districts(snapshot: Snapshot) -> dict[int, int | None]:
    from lotse.directory.models import Facility

    ids = set(snapshot["wish_facility"]) | set(snapshot["quota"]["facility"])
    return dict(Facility.objects.filter(pk__in=ids).values_list("pk", "district_id"))


def snapshot_district_choices(round_: Round) -> list[tuple[str, str]]:
    """(district id, name) of every district with a wished facility in the snapshot."""
    if round_.snapshot is None:
        return []
    districts = {d for d in _snapshot_facility_districts(round_.snapshot).values() if d}
    return [
        (str(pk), name)
        for pk, name in District.objects.filter(pk__in=districts)
        .order_by("name")
        .values_list("pk", "name")
    ]


def round_what_if_group(round_: Round, *, district: int, band: str) -> object | None:
    """ "+1 group in district Y" (engine_io.what_if_group); None when no child of the age group
    wished a facility in that district."""
    from . import engine_io

    if round_.snapshot is None:
        raise Http404
    rules = round_.published_rules or round_.rules
    try:
        return engine_io.what_if_group(
            round_.snapshot,
            rules,
            facility_district=_snapshot_facility_districts(round_.snapshot),
            district=district,
            band=band,
        )
    except ValueError:
        return None


def facility_name(pk: int) -> str:
    from lotse.directory.models import Facility

    return Facility.objects.filter(pk=pk).values_list("name", flat=True).first() or ""
