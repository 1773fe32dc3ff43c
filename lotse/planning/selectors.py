"""Reads for planning. Everything is aggregated in the database (GROUP BY); only counts per
district and age band reach Python, never a row per child or application.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.options import Options
from django.utils import timezone

from lotse.accounts.models import Organisation, Role, User
from lotse.accounts.selectors import organisations_for_user
from lotse.applications.models import Application, Offer
from lotse.directory.models import District, Facility

from .models import BirthCount, FigureSnapshot, PopulationCount, RenderedDashboard
from .population import Group

PLANNING_ROLES = (Role.PLANNER, Role.ADMIN)


def planning_municipalities(user: User) -> list[str]:
    """Municipalities whose Jugendamt the user plans for (planner or admin there)."""
    orgs = organisations_for_user(user, PLANNING_ROLES).filter(kind=Organisation.Kind.JUGENDAMT)
    return sorted({m for m in orgs.values_list("municipality", flat=True) if m})


def planned_municipalities() -> list[str]:
    """Every municipality that has a Jugendamt in Lotse (the periodic refresh of the figures)."""
    orgs = Organisation.objects.filter(kind=Organisation.Kind.JUGENDAMT).exclude(municipality="")
    return sorted(set(orgs.values_list("municipality", flat=True)))


def user_may_plan(user: User) -> bool:
    return bool(planning_municipalities(user))


class StoredSize(Func):
    """Bytes a column's value takes in storage: tells that a large value changed without
    reading it (``pg_column_size`` on PostgreSQL, ``length`` elsewhere)."""

    function = "LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(compiler, connection, function="pg_column_size", **extra)


def districts(municipality: str) -> list[District]:
    """The municipality's districts without their boundaries (large GeoJSON, read only to draw
    a map that is not cached yet); ``boundary_size`` says whether one changed."""
    return list(
        District.objects.filter(municipality=municipality)
        .defer("boundary")
        .annotate(boundary_size=StoredSize("boundary"))
        .order_by("name")
    )


def population_groups(municipality: str) -> dict[int, dict[int, list[Group]]]:
    """{district id: {year: [groups]}} of the municipality's imported population tables."""
    result: dict[int, dict[int, list[Group]]] = defaultdict(lambda: defaultdict(list))
    rows = PopulationCount.objects.filter(district__municipality=municipality).values_list(
        "district_id", "year", "age_from", "age_to", "count"
    )
    for district_id, year, age_from, age_to, count in rows:
        result[district_id][year].append(Group(age_from, age_to, count))
    return result


def births(municipality: str) -> dict[int, dict[int, int]]:
    result: dict[int, dict[int, int]] = defaultdict(dict)
    rows = BirthCount.objects.filter(district__municipality=municipality).values_list(
        "district_id", "year", "count"
    )
    for district_id, year, count in rows:
        result[district_id][year] = count
    return result


def population_years(municipality: str) -> list[int]:
    return sorted(
        PopulationCount.objects.filter(district__municipality=municipality)
        .values_list("year", flat=True)
        .distinct()
    )


def seats_by_district(municipality: str) -> dict[int, dict[str, int]]:
    """Seats per district and age band from the directory (today's seats), and the places in
    mixed groups (1 to 6 years) under ``"mixed"``."""
    return seats_and_facilities(municipality)[0]


def seats_and_facilities(municipality: str) -> tuple[dict[int, dict[str, int]], int]:
    """``seats_by_district`` and the number of facilities (``facility_counts``), one query."""
    rows = (
        Facility.objects.filter(district__municipality=municipality)
        .values("district_id")
        .annotate(
            u3=Sum("seats_under3"),
            ue3=Sum("seats_over3"),
            school=Sum("seats_school"),
            mixed=Sum("seats_mixed"),
            facilities=Count("id"),
        )
        .order_by()
    )
    seats, facilities = {}, 0
    for row in rows:
        seats[row["district_id"]] = {
            band: row[band] or 0 for band in ("u3", "ue3", "school", "mixed")
        }
        facilities += row["facilities"]
    return seats, facilities


def facility_counts(municipality: str) -> int:
    return Facility.objects.filter(district__municipality=municipality).count()


# --- Demand: applications, offers and placements (lotse.applications) ----------------------


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, on SQLite and PostgreSQL alike.

    Lets the database compute waiting times (offer minus application) and average them, so no
    application row has to reach Python.
    """

    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        )

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def all_day_claim_grades(start: dt.date) -> int:
    """School grades with a legal claim to all-day care at ``start`` (§24 (4) SGB VIII).

    The claim is phased in from 1 August 2026 with grade 1, one more grade each school year,
    up to grade 4 from August 2029 (Ganztagsförderungsgesetz).
    """
    school_year = start.year if start.month >= 8 else start.year - 1
    return min(max(school_year - 2025, 0), 4)


def band_case(months: list[dt.date], start: str = "desired_start") -> Case:
    """The seat type (age band) a child needs at its desired start, evaluated in SQL.

    Same rule as ``applications.models.seat_type_for``: under 36 months → u3, under 72 → ue3,
    else school. As desired starts are first days of months, one threshold per month suffices.
    Expects the child's (expected) birth date annotated as ``birth``; ``start`` names the
    desired-start field.
    """
    whens = []
    for month in months:
        whens.append(When(**{start: month}, birth__gt=_years_before(month, 3), then=Value("u3")))
        whens.append(When(**{start: month}, birth__gt=_years_before(month, 6), then=Value("ue3")))
    return Case(*whens, default=Value("school"), output_field=CharField())


def legal_claim_q(months: list[dt.date], start: str = "desired_start") -> Q:
    """Children with a legal claim (§24 SGB VIII) at their desired start.

    From the first birthday to school entry (§24 (2), (3)); primary-school children in the
    grades phased in by ``all_day_claim_grades`` (§24 (4)). Expects ``birth`` annotated.
    """
    parts = [
        Q(
            Q(**{start: month}),
            birth__lte=_years_before(month, 1),
            birth__gt=_years_before(month, 6 + all_day_claim_grades(month)),
        )
        for month in months
    ]
    if not parts:
        return Q(pk__isnull=True)  # never true: nobody's desired month has begun
    return Q(*parts, _connector=Q.OR)


def _month_start(month: dt.date) -> dt.datetime:
    return dt.datetime.combine(month, dt.time(), tzinfo=timezone.get_default_timezone())


def counted_applications(municipality: str, year: int) -> QuerySet[Application]:
    """Submitted, not withdrawn applications of the municipality starting in ``year``."""
    return Application.objects.filter(
        municipality=municipality,
        submitted_at__isnull=False,
        desired_start__year=year,
    ).exclude(status=Application.Status.WITHDRAWN)


BIRTH = Coalesce("child__birth_date", "child__expected_birth_date")


def demand_by_district(
    municipality: str, year: int, *, today: dt.date | None = None
) -> dict[tuple[int | None, str], dict[str, float | int | None]]:
    """Per (home district, band): children applying, children with a legal claim and no offer
    by the start of their desired month, and the mean days from application to first offer.

    Two GROUP BY queries and no correlated subquery per application: children and due claims
    over the applications; waiting times and met claims over the first offers (a claim is met
    when the application's first offer came before its desired month). A child counts once
    however many applications it has.
    """
    today = today or timezone.localdate()
    base = counted_applications(municipality, year)
    # order_by(): the model orders by created_at, which would make DISTINCT per row.
    months = sorted(base.order_by().values_list("desired_start", flat=True).distinct())
    if not months:
        return {}
    due_months = [m for m in months if m <= today]
    rows = (
        base.annotate(birth=BIRTH, band=band_case(months))
        .values("home_district_id", "band")
        .annotate(
            applicants=Count("child_id", distinct=True),
            claims=Count("child_id", distinct=True, filter=legal_claim_q(due_months)),
        )
        .order_by()
    )
    result: dict[tuple[int | None, str], dict[str, float | int | None]] = {
        (row["home_district_id"], row["band"]): {
            "applicants": row["applicants"],
            "unmet": row["claims"],
            "waited": 0,
            "wait_days": None,
        }
        for row in rows
    }
    for row in _first_offers(base, months, due_months):
        entry = result[(row["application__home_district_id"], row["band"])]
        entry["unmet"] -= row["met"]  # type: ignore[operator]
        entry["waited"] = row["waited"]
        entry["wait_days"] = row["seconds"] / 86400
    return result


def _first_offers(
    applications: QuerySet[Application], months: list[dt.date], due_months: list[dt.date]
) -> QuerySet:
    """Per home district and band: applications with an offer, their mean seconds to the first
    offer, and children with a due legal claim whose first offer came before their month."""
    earlier = Offer.objects.filter(application_id=OuterRef("application_id")).filter(
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
    )
    start = "application__desired_start"
    in_time = Q(
        *[Q(**{start: m}, created_at__lt=_month_start(m)) for m in due_months] or [Q(pk=None)],
        _connector=Q.OR,
    )
    return (
        Offer.objects.filter(application__in=applications.values("pk"))
        .filter(~Exists(earlier))
        .annotate(
            birth=Coalesce(
                "application__child__birth_date", "application__child__expected_birth_date"
            ),
            band=band_case(months, start=start),
        )
        .values("application__home_district_id", "band")
        .annotate(
            waited=Count("id"),
            seconds=Avg(EpochSeconds("created_at") - EpochSeconds("application__submitted_at")),
            met=Count(
                "application__child_id",
                distinct=True,
                filter=legal_claim_q(due_months, start=start) & in_time,
            ),
        )
        .order_by()
    )


def placement_counts(municipality: str, year: int) -> dict[tuple[int | None, int, str], int]:
    """Placements (accepted offers) starting in ``year`` at the municipality's facilities, per
    (home district of the family, district of the facility, seat type).

    One query serves both the placements per district and the commuting between districts.
    An application has at most one accepted offer (a constraint), so offers count children.
    """
    rows = (
        Offer.objects.filter(
            status=Offer.Status.ACCEPTED,
            start_month__year=year,
            facility__district__municipality=municipality,
        )
        .values("application__home_district_id", "facility__district_id", "seat_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        (r["application__home_district_id"], r["facility__district_id"], r["seat_type"]): r["n"]
        for r in rows
    }


def placements_by_district(
    counts: dict[tuple[int | None, int, str], int],
) -> dict[tuple[int, str], int]:
    """Children placed per (district of the facility, seat type)."""
    result: dict[tuple[int, str], int] = defaultdict(int)
    for (_home, place, seat_type), n in counts.items():
        result[(place, seat_type)] += n
    return dict(result)


def commuting(
    counts: dict[tuple[int | None, int, str], int], band: str | None = None
) -> dict[tuple[int | None, int], int]:
    """Placements per (home district of the family, district of the facility)."""
    result: dict[tuple[int | None, int], int] = defaultdict(int)
    for (home, place, seat_type), n in counts.items():
        if band is None or seat_type == band:
            result[(home, place)] += n
    return dict(result)


def _column(meta: Options, name: str) -> str:
    column = meta.get_field(name).column  # type: ignore[union-attr]
    assert column is not None
    return connection.ops.quote_name(column)


def demand_version(municipality: str) -> tuple:
    """Changes whenever an application or offer that the figures rest on changes.

    Applications change ``updated_at`` on every status change; offers are created (new id) or
    answered (``answered_at``); counts catch deletions. Read on every dashboard visit, so the
    two aggregates are one query (one round trip; each aggregate scans its table once).
    """
    quote = connection.ops.quote_name
    application, offer = Application._meta, Offer._meta
    sql = (
        "SELECT a.n, a.changed, o.n, o.last, o.answered FROM "
        f"(SELECT COUNT(*) AS n, MAX({_column(application, 'updated_at')}) AS changed "
        f"FROM {quote(application.db_table)} "
        f"WHERE {_column(application, 'municipality')} = %s) a, "
        f"(SELECT COUNT(*) AS n, MAX({_column(offer, 'id')}) AS last, "
        f"MAX({_column(offer, 'answered_at')}) AS answered FROM {quote(offer.db_table)}) o"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [municipality])  # noqa: S608 - names from the models, value bound
        return tuple(cursor.fetchone())


def data_version(municipality: str, today: dt.date) -> str:
    """Fingerprint of what a ``FigureSnapshot`` rests on: the applications and offers (see
    ``demand_version``) and the month of ``today`` (claims fall due when a month begins)."""
    parts = (today.year, today.month, *demand_version(municipality))
    return hashlib.sha1(repr(parts).encode()).hexdigest()


def figure_snapshot(municipality: str, year: int) -> FigureSnapshot | None:
    return FigureSnapshot.objects.filter(municipality=municipality, year=year).first()


def snapshot_version(municipality: str, year: int) -> tuple[str, dt.datetime] | None:
    """The stored figures' data version and time, without reading the figures."""
    return (
        FigureSnapshot.objects.filter(municipality=municipality, year=year)
        .values_list("data_version", "computed_at")
        .first()
    )


def rendered_dashboard(key: str) -> dict[str, str] | None:
    """The stored HTML of a dashboard view (``RenderedDashboard``) by part, if rendered."""
    row = RenderedDashboard.objects.filter(key=key).values_list("head", "body").first()
    return None if row is None else {"head": row[0], "body": row[1]}


def snapshot_years(municipality: str) -> list[int]:
    return list(
        FigureSnapshot.objects.filter(municipality=municipality)
        .order_by("year")
        .values_list("year", flat=True)
    )


def application_years(municipality: str) -> list[int]:
    """Years in which submitted applications of the municipality want to start."""
    starts = Application.objects.filter(municipality=municipality, submitted_at__isnull=False)
    return [day.year for day in starts.order_by().dates("desired_start", "year")]


def demand_years(municipality: str) -> list[int]:
    """Years from the earliest to the latest desired start (Min/Max: one cheap aggregate)."""
    span = Application.objects.filter(
        municipality=municipality, submitted_at__isnull=False
    ).aggregate(first=Min("desired_start"), last=Max("desired_start"))
    if span["first"] is None:
        return []
    return list(range(span["first"].year, span["last"].year + 1))
