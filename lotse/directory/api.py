from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from lotse.core.forms import MAX_INTEGER
from lotse.core.schemas import ErrorOut

from .forms import FacilitySearchForm
from .models import Facility
from .selectors import (
    distance_km,
    district_choices,
    facility_detail,
    facility_search,
    nearest_rows,
)

router = Router(tags=["directory"])


FacilityKind = Enum("FacilityKind", {k: k for k in Facility.Kind.values}, type=str)


class FacilityFilter(Schema):
    q: str | None = Field(None, max_length=100, description="Name, street, operator or postcode")
    kind: list[FacilityKind] | None = None  # type: ignore[valid-type]
    birth_date: date | None = Field(None, description="The child's date of birth")
    age: int | None = Field(None, ge=0, le=14, description="Or the child's age in years")
    hours: int | None = Field(None, ge=5, le=60, description="Care hours per week")
    language: str | None = Field(None, max_length=12, description="Language code, e.g. da")
    concept: int | None = Field(None, ge=1, le=MAX_INTEGER)
    district: int | None = Field(None, ge=1, le=MAX_INTEGER)
    near: str | None = Field(None, max_length=100, description="Postcode, district or street")
    radius: Literal[1, 2, 5, 10, 25] | None = None
    inclusion: bool | None = None
    barrier_free: bool | None = None
    free: bool | None = Field(None, description="Only facilities reporting free places")
    page: int = Field(1, ge=1, le=10_000)


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
    seats_mixed: int = Field(
        0, description="Places in mixed groups (1 to 6 years); an under-3 child counts more"
    )
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


@router.get(
    "/facilities",
    response={200: FacilityPage, 422: ErrorOut},
    summary="Search facilities",
    description="The same search as the public search page. 422 when a place is not found.",
)
def list_facilities(request: HttpRequest, filters: Query[FacilityFilter]) -> object:
    data = {k: v for k, v in filters.dict().items() if v not in (None, False, [])}
    data.pop("page", None)
    if "kind" in data:
        data["kind"] = [getattr(k, "value", k) for k in data["kind"]]
    form = FacilitySearchForm(data)
    if not form.is_valid():
        return Status(
            422,
            {
                "detail": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
                "errors": [
                    {"loc": ["query", k], "msg": " ".join(v)} for k, v in form.errors.items()
                ],
            },
        )
    qs = facility_search(form.to_query())
    count = qs.count()
    pages = max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(filters.page, 1), pages)
    rows = nearest_rows(qs, page * PAGE_SIZE)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "count": count,
        "page": page,
        "pages": pages,
        "results": [_out(f, form.place) for f in rows],
    }


@router.get(
    "/facilities/{facility_id}",
    response={200: FacilityDetailOut, 404: ErrorOut},
    summary="One facility",
)
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
