from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from .forms import FacilitySearchForm
from .selectors import distance_km, district_choices, facility_detail, facility_search

router = Router(tags=["directory"])


class FacilityFilter(Schema):
    q: str | None = None
    kind: list[str] | None = None
    birth_date: str | None = None
    age: int | None = None
    hours: int | None = None
    language: str | None = None
    concept: int | None = None
    district: int | None = None
    near: str | None = None
    radius: int | None = None
    inclusion: bool | None = None
    barrier_free: bool | None = None
    free: bool | None = None
    page: int = 1


class FacilityOut(Schema):
    id: int
    name: str
    kind: str
    operator_name: str
    street: str
    postcode: str
    city: str
    district: str | None
    latitude: float | None
    longitude: float | None
    age_from_months: int | None
    age_to_months: int | None
    max_weekly_hours: int | None
    places_total: int
    seats_under3: int
    seats_over3: int
    seats_school: int
    free_places: int
    inclusion: bool
    barrier_free: bool | None
    distance_km: float | None = None


class FacilityPage(Schema):
    count: int
    page: int
    pages: int
    results: list[FacilityOut]


class FacilityDetailOut(FacilityOut):
    phone: str
    email: str
    website: str
    opening_hours: dict[str, list[str]]
    languages: list[str]
    concepts: list[str]
    national_minority: str
    meals: bool | None
    description: str


class DistrictOut(Schema):
    id: int
    name: str


PAGE_SIZE = 20


def _out(facility: object, place: object = None) -> dict:
    data = {
        name: getattr(facility, name)
        for name in FacilityOut.model_fields
        if name not in {"district", "distance_km"}
    }
    data["district"] = facility.district.name if facility.district else None  # type: ignore[attr-defined]
    data["distance_km"] = round(distance_km(facility, place), 2) if place else None  # type: ignore[arg-type]
    return data


@router.get("/facilities", response=FacilityPage, summary="Search facilities")
def list_facilities(request: HttpRequest, filters: Query[FacilityFilter]) -> dict:
    data = {k: v for k, v in filters.dict().items() if v not in (None, False, [])}
    data.pop("page", None)
    form = FacilitySearchForm(data)
    if not form.is_valid():
        raise HttpError(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    qs = facility_search(form.to_query())
    count = qs.count()
    pages = max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(filters.page, 1), pages)
    rows = qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "count": count,
        "page": page,
        "pages": pages,
        "results": [_out(f, form.place) for f in rows],
    }


@router.get("/facilities/{facility_id}", response=FacilityDetailOut, summary="One facility")
def get_facility(request: HttpRequest, facility_id: int) -> dict:
    facility = facility_detail(facility_id)
    data = _out(facility)
    data.update(
        phone=facility.phone,
        email=facility.email,
        website=facility.website,
        opening_hours=facility.opening_hours or {},
        languages=[lang.code for lang in facility.languages.all()],
        concepts=[c.name for c in facility.concepts.all()],
        national_minority=facility.national_minority,
        meals=facility.meals,
        description=facility.description,
    )
    return data


@router.get("/districts", response=list[DistrictOut], summary="Districts")
def list_districts(request: HttpRequest) -> list[dict]:
    return [{"id": pk, "name": name} for pk, name in district_choices()]
