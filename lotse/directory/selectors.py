"""Reads for the public directory. Everything here is public data; no personal data."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from django.core.cache import cache
from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    F,
    FloatField,
    Func,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from lotse.accounts.models import Role, User
from lotse.accounts.selectors import organisation_ids_for_user
from lotse.core.pagination import CappedPaginator

from .models import Concept, District, Facility, Language, Service, geo_cell, unit_vector

KM_PER_DEGREE = 111.2
EARTH_RADIUS_KM = 6371.0
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
    # The district's boundary (large GeoJSON) is not shown in results.
    qs = Facility.objects.select_related("district").defer("district__boundary")
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


GEO_COLUMNS = ("geo_x", "geo_y", "geo_z")


class SphereDistance(Func):
    """Order by distance from a point: the straight line between unit vectors (``geo_x`` …),
    which orders places exactly as the distance along the earth does.

    PostgreSQL: ``cube <-> cube``, the form its GiST index answers nearest-first (KNN).
    SQLite: the square of the same length (plain arithmetic, same order). Compare it with
    ``Within``, not with a number, since the two backends give different powers.
    """

    output_field = FloatField()

    def __init__(self, point: tuple[float, float, float], radius_chord: float = 2.0) -> None:
        super().__init__(*(F(name) for name in GEO_COLUMNS), *(Value(c) for c in point))
        self.point, self.radius_chord = point, radius_chord

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def,override]
        parts = [compiler.compile(e) for e in self.source_expressions]
        columns, point = parts[:3], parts[3:]
        sql = " + ".join(
            f"({c} - {p}) * ({c} - {p})" for (c, _), (p, _) in zip(columns, point, strict=True)
        )
        params = [
            v for (_, cp), (_, pp) in zip(columns, point, strict=True) for v in (*cp, *pp) * 2
        ]
        return f"({sql})", params

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        cube, cube_params = _cube(compiler, self.source_expressions[:3])
        center, center_params = _cube(compiler, self.source_expressions[3:])
        return f"({cube} <-> {center})", [*cube_params, *center_params]


class Within(Func):
    """True for facilities at most ``chord`` (straight line on the unit sphere) from a point.

    Not indexable by itself: on PostgreSQL ``NearBox`` adds the index condition where the
    plan wants one (``nearest_rows``); the grid cells narrow the rows first.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, point: tuple[float, float, float], chord: float) -> None:
        super().__init__(*(F(name) for name in GEO_COLUMNS), *(Value(c) for c in point))
        self.chord = chord

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def,override]
        distance = SphereDistance((0.0, 0.0, 0.0))
        distance.set_source_expressions(self.source_expressions)
        sql, params = distance.as_sql(compiler, connection)
        return f"({sql} <= %s)", [*params, self.chord * self.chord]

    def as_postgresql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def]
        cube, cube_params = _cube(compiler, self.source_expressions[:3])
        center, center_params = _cube(compiler, self.source_expressions[3:])
        return f"({cube} <-> {center} <= %s)", [*cube_params, *center_params, self.chord]


class NearBox(Func):
    """PostgreSQL only: the facility lies in the cube of half-width ``chord`` around a point,
    a condition the GiST index answers (a superset of ``Within`` for the same chord).
    ``chord`` may be a subquery (``nearest_rows``)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, point: tuple[float, float, float], chord: Any) -> None:
        chord = chord if hasattr(chord, "resolve_expression") else Value(float(chord))
        super().__init__(*(F(name) for name in GEO_COLUMNS), *(Value(c) for c in point), chord)

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def,override]
        cube, cube_params = _cube(compiler, self.source_expressions[:3])
        center, center_params = _cube(compiler, self.source_expressions[3:6])
        chord, chord_params = compiler.compile(self.source_expressions[6])
        return (
            f"({cube} <@ cube_enlarge({center}, {chord}, 3))",
            [*cube_params, *center_params, *chord_params],
        )


def _cube(compiler: Any, expressions: list[Any]) -> tuple[str, list[Any]]:
    """A 3-D point for ``cube``. For the columns exactly the indexed expression (migration
    0003): nested ``cube(cube, float8)`` calls, which are NULL for a facility without a
    location where ``cube(ARRAY[…])`` would raise an error."""
    parts = [compiler.compile(e) for e in expressions]
    params = [p for _, ps in parts for p in ps]
    if all(isinstance(e, Value) for e in expressions):
        return f"cube(ARRAY[{', '.join(f'{sql}::float8' for sql, _ in parts)}])", params
    (x, _), (y, _), (z, _) = parts
    return f"cube(cube(cube({x}), {y}), {z})", params


def _within_radius(qs: QuerySet[Facility], place: Place, radius_km: float) -> QuerySet[Facility]:
    lat0, lon0 = place.latitude, place.longitude
    point = unit_vector(lat0, lon0)
    chord = 2 * math.sin(radius_km / EARTH_RADIUS_KM / 2)
    # Grid cells covering the bounding box first (indexed, and with statistics that tell the
    # planner how many facilities are near), then the exact circle.
    scale = math.cos(math.radians(lat0))
    dlat = radius_km / KM_PER_DEGREE
    dlon = radius_km / (KM_PER_DEGREE * max(scale, 0.01))
    cells = cells_covering(lat0 - dlat, lat0 + dlat, lon0 - dlon, lon0 + dlon)
    return (
        qs.filter(geo_cell__in=cells)
        .filter(Within(point, chord))
        .annotate(distance=SphereDistance(point, radius_chord=chord))
        .order_by("distance", "id")
    )


def _distance(qs: QuerySet[Facility]) -> SphereDistance | None:
    # Only PostgreSQL needs the help below; SQLite reads the grid cells' rows.
    distance = qs.query.annotations.get("distance")
    if connection.vendor != "postgresql" or not isinstance(distance, SphereDistance):
        return None
    return distance


def nearest_rows(qs: QuerySet[Facility], stop: int) -> QuerySet[Facility]:
    """A search ordered by distance, cut to what its rows ``[:stop]`` can contain.

    On PostgreSQL the GiST index walks nearest-first to the ``stop``-th matching facility
    (it never needs more: ``stop`` is at most the count), and only facilities in the box
    around that distance are then read and ordered by (distance, id). Every facility at
    most that far lies in the box, so the rows are exactly those of the full ordering, ties
    included. Elsewhere, and for searches not ordered by distance: ``qs`` unchanged.
    """
    distance = _distance(qs)
    if distance is None or stop < 1:
        return qs
    # "distance" is an annotation, which django-stubs cannot see.
    nth = qs.order_by("distance").values("distance")[stop - 1 : stop]  # type: ignore[misc]
    chord = Coalesce(Subquery(nth), Value(distance.radius_chord))
    return qs.filter(NearBox(distance.point, chord))


class SearchPaginator(CappedPaginator):
    """Pages of a facility search (count capped at 1,000). A nearest-first page reads only
    the facilities up to its last row (``nearest_rows``), not every one in the radius."""

    def page(self, number: int | str) -> Page:  # type: ignore[override]
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        facilities = cast("QuerySet[Facility]", self.object_list)
        rows = nearest_rows(facilities, top) if top > bottom else facilities
        return self._get_page(rows[bottom:top], number, self)  # type: ignore[attr-defined]


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
    districts = District.objects.filter(latitude__isnull=False).only(
        "name", "latitude", "longitude"
    )
    district = (
        districts.filter(name__iexact=text).first()
        or districts.filter(name__istartswith=text).first()
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
    return cast(
        "list[dict[str, object]]",
        list(
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
        ),
    )


def public_services(kind: str | None = None) -> QuerySet[Service]:
    qs = Service.objects.filter(is_public=True).select_related("district")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name")


CHOICES_CACHE_SECONDS = 60


def _cached(key: str, build: Callable[[], list]) -> list:
    # Choice lists change only on import; caching them keeps every search to two queries.
    version = cache.get_or_set("directory:version", 1)
    return cast(list, cache.get_or_set(f"directory:{key}:{version}", build, CHOICES_CACHE_SECONDS))


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


#: Boundaries on the map are simplified to about this many degrees (≈ 10 m): the shape stays,
#: the answer shrinks from ~400 kB to a few dozen kB for a city.
MAP_SIMPLIFY_DEGREES = 0.0001


def simplify_ring(points: list[list[float]], tolerance: float) -> list[list[float]]:
    """Douglas–Peucker: keep the ends, then recursively the point farthest from the chord while
    it is farther than ``tolerance``. Rounded to 5 decimals (≈ 1 m)."""
    if len(points) < 4:
        return [[round(p[0], 5), round(p[1], 5)] for p in points]
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first][:2], points[last][:2]
        length = math.hypot(x2 - x1, y2 - y1)
        best, index = 0.0, -1
        for i in range(first + 1, last):
            x, y = points[i][:2]
            if length:
                distance = abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length
            else:
                distance = math.hypot(x - x1, y - y1)
            if distance > best:
                best, index = distance, i
        if index > 0 and best > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    kept = [[round(p[0], 5), round(p[1], 5)] for p, k in zip(points, keep, strict=True) if k]
    return kept if len(kept) >= 4 else [[round(p[0], 5), round(p[1], 5)] for p in points]


def _simplify(geometry: dict[str, Any]) -> dict[str, Any] | None:
    def polygon(rings: list[Any]) -> list[Any]:
        return [simplify_ring(ring, MAP_SIMPLIFY_DEGREES) for ring in rings]

    if geometry.get("type") == "Polygon":
        return {"type": "Polygon", "coordinates": polygon(geometry["coordinates"])}
    if geometry.get("type") == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [polygon(p) for p in geometry["coordinates"]],
        }
    return None


def district_shapes(municipality: str) -> list[dict[str, Any]]:
    """GeoJSON features of the municipality's districts (simplified boundary, name and the
    point for its label), for the map without a tile server."""

    def build() -> list[dict[str, Any]]:
        features = []
        for district in District.objects.filter(municipality=municipality).order_by("name"):
            geometry = _simplify(district.boundary) if district.boundary else None
            if geometry is None:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "id": district.pk,
                        "name": district.name,
                        "label_at": [district.latitude, district.longitude],
                    },
                }
            )
        return features

    return _cached(f"shapes:{municipality}", build)
