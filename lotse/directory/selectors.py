"""Reads for the public directory. Everything here is public data; no personal data."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db.models import Avg, Count, F, FloatField, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.expressions import ExpressionWrapper
from django.shortcuts import get_object_or_404

from lotse.accounts.models import Role, User
from lotse.accounts.selectors import organisation_ids_for_user

from .models import Concept, District, Facility, Language, Service, geo_cell

KM_PER_DEGREE = 111.2
DEFAULT_RADIUS_KM = 10.0


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str


@dataclass(frozen=True)
class FacilityQuery:
    """A validated search. Built by ``FacilitySearchForm``; used by pages, map and API."""

    text: str = ""
    kinds: tuple[str, ...] = ()
    age_months: int | None = None
    weekly_hours: int | None = None
    language: str = ""
    concept: int | None = None
    inclusion: bool = False
    barrier_free: bool = False
    district: int | None = None
    near: Place | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    free_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def age_in_months(birth_date: date, on: date) -> int:
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if on.day < birth_date.day:
        months -= 1
    return max(months, 0)


def facility_search(query: FacilityQuery) -> QuerySet[Facility]:
    """Facilities matching ``query``; ordered by distance when a place is given, else by name.

    Distances use an equirectangular approximation (exact to well under 1% within a city),
    computed in SQL so that SQLite and PostgreSQL order and page identically.
    """
    qs = Facility.objects.select_related("district")
    if query.text:
        qs = qs.filter(search_text__contains=query.text.lower())
    if query.kinds:
        qs = qs.filter(kind__in=query.kinds)
    if query.age_months is not None:
        qs = qs.filter(
            Q(age_from_months__isnull=True) | Q(age_from_months__lte=query.age_months),
            Q(age_to_months__isnull=True) | Q(age_to_months__gte=query.age_months),
        )
    if query.weekly_hours is not None:
        qs = qs.filter(max_weekly_hours__gte=query.weekly_hours)
    if query.language:
        qs = qs.filter(languages__code=query.language)
    if query.concept:
        qs = qs.filter(concepts__id=query.concept)
    if query.inclusion:
        qs = qs.filter(inclusion=True)
    if query.barrier_free:
        qs = qs.filter(barrier_free=True)
    if query.district:
        qs = qs.filter(district_id=query.district)
    if query.free_only:
        qs = qs.filter(free_places__gt=0)
    if query.near is None:
        return qs.order_by("name", "id")
    return _within_radius(qs, query.near, query.radius_km)


def _within_radius(qs: QuerySet[Facility], place: Place, radius_km: float) -> QuerySet[Facility]:
    lat0, lon0 = place.latitude, place.longitude
    scale = math.cos(math.radians(lat0))
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(scale, 0.01))
    # Grid cells covering the bounding box first (indexed), then the exact circle.
    qs = qs.filter(geo_cell__in=cells_covering(lat0 - dlat, lat0 + dlat, lon0 - dlon, lon0 + dlon))
    dy = F("latitude") - Value(lat0)
    dx = (F("longitude") - Value(lon0)) * Value(scale)
    squared = ExpressionWrapper(dy * dy + dx * dx, output_field=FloatField())
    limit = (radius_km / KM_PER_DEGREE) ** 2
    return (
        qs.annotate(distance_sq=squared)
        .filter(distance_sq__lte=limit)
        .order_by("distance_sq", "id")
    )


def cells_covering(south: float, north: float, west: float, east: float) -> list[int]:
    first, last = geo_cell(south, west), geo_cell(north, east)
    rows = range(first // 10_000, last // 10_000 + 1)
    cols = range(first % 10_000, last % 10_000 + 1)
    return [row * 10_000 + col for row in rows for col in cols]


def distance_km(facility: Facility, place: Place) -> float | None:
    if not facility.has_location:
        return None
    scale = math.cos(math.radians(place.latitude))
    dy = facility.latitude - place.latitude  # type: ignore[operator]
    dx = (facility.longitude - place.longitude) * scale  # type: ignore[operator]
    return math.hypot(dx, dy) * KM_PER_DEGREE


def geocode(text: str) -> Place | None:
    """Find a place without an external geocoder: a postcode, a district or a known street.

    Coordinates come from the facilities and districts already in the directory, so search
    by distance works offline and sends no address of a family to a third party.
    """
    text = " ".join(text.split())
    if not text:
        return None
    if text.isdigit() and len(text) == 5:
        agg = Facility.objects.filter(postcode=text, latitude__isnull=False).aggregate(
            lat=Avg("latitude"), lon=Avg("longitude")
        )
        if agg["lat"] is not None:
            return Place(agg["lat"], agg["lon"], text)
        return None
    district = (
        District.objects.filter(name__iexact=text, latitude__isnull=False).first()
        or District.objects.filter(name__istartswith=text, latitude__isnull=False).first()
    )
    if district:
        return Place(district.latitude, district.longitude, district.name)  # type: ignore[arg-type]
    street = text.rstrip("0123456789 ").strip() or text
    agg = Facility.objects.filter(street__istartswith=street, latitude__isnull=False).aggregate(
        lat=Avg("latitude"), lon=Avg("longitude")
    )
    if agg["lat"] is not None:
        return Place(agg["lat"], agg["lon"], text)
    return None


def facility_detail(pk: int) -> Facility:
    return get_object_or_404(
        Facility.objects.select_related("district", "operator").prefetch_related(
            Prefetch("languages", queryset=Language.objects.order_by("name")),
            Prefetch("concepts", queryset=Concept.objects.order_by("name")),
        ),
        pk=pk,
    )


def facility_map_points(qs: QuerySet[Facility], limit: int = 5000) -> list[dict[str, object]]:
    return list(
        qs.filter(latitude__isnull=False).values(
            "id",
            "name",
            "kind",
            "latitude",
            "longitude",
            "street",
            "postcode",
            "city",
            "free_places",
        )[:limit]
    )


def public_services(kind: str | None = None) -> QuerySet[Service]:
    qs = Service.objects.filter(is_public=True).select_related("district")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name")


CHOICES_CACHE_SECONDS = 60


def _cached(key: str, build: Callable[[], list]) -> list:
    # Choice lists change only on import; caching them keeps every search to two queries.
    return cache.get_or_set(
        f"directory:{key}:{cache.get_or_set('directory:version', 1)}", build, CHOICES_CACHE_SECONDS
    )


def invalidate_choices() -> None:
    try:
        cache.incr("directory:version")
    except ValueError:
        cache.set("directory:version", 2)


def district_choices() -> list[tuple[int, str]]:
    return _cached(
        "districts",
        lambda: list(District.objects.order_by("municipality", "name").values_list("id", "name")),
    )


def language_choices() -> list[tuple[str, str]]:
    return _cached(
        "languages",
        lambda: list(
            Language.objects.filter(pk__in=Facility.languages.through.objects.values("language_id"))
            .order_by("name")
            .values_list("code", "name")
        ),
    )


def concept_choices() -> list[tuple[int, str]]:
    return _cached(
        "concepts",
        lambda: list(
            Concept.objects.filter(pk__in=Facility.concepts.through.objects.values("concept_id"))
            .order_by("name")
            .values_list("id", "name")
        ),
    )


def directory_overview() -> dict[str, int]:
    agg = Facility.objects.aggregate(n=Count("id"), places=Sum("places_total"))
    return {
        "facilities": agg["n"] or 0,
        "places": agg["places"] or 0,
        "districts": District.objects.count(),
    }


def facilities_for_staff(user: User) -> QuerySet[Facility]:
    """The facilities whose organisation the user works for as facility staff."""
    orgs = organisation_ids_for_user(user, [Role.FACILITY_STAFF])
    return Facility.objects.filter(organisation_id__in=orgs).order_by("name")


def get_facility_for_staff(user: User, pk: int) -> Facility:
    return get_object_or_404(facilities_for_staff(user), pk=pk)
