"""Reads for the wish list and the facility picker. Facilities are public data; the list is
the user's own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from lotse.accounts.models import User
from lotse.directory.models import District, Facility
from lotse.directory.selectors import Place, distance_km, geocode

from .models import ShortlistEntry
from .selectors import wishable_facilities

#: How many matches the picker shows at once; a longer list is narrowed by typing more.
PICKER_LIMIT = 8
PICKER_MIN_CHARS = 2


def shortlist_facility_ids(user: User) -> list[int]:
    return list(
        ShortlistEntry.objects.filter(user=user)
        .order_by("created_at", "id")
        .values_list("facility_id", flat=True)
    )


def facilities_in_order(ids: Sequence[int]) -> list[Facility]:
    """The facilities with these ids, in this order (unknown ids are left out)."""
    found = Facility.objects.select_related("district").defer("district__boundary").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def picker_base(scope: str) -> QuerySet[Facility]:
    """``wishable``: what a family may name in this municipality; ``all``: every facility
    (counsellors also apply for families moving here)."""
    return wishable_facilities() if scope == "wishable" else Facility.objects.all()


def picker_place(postcode: str = "", district_id: str = "") -> Place | None:
    """Where distances are measured from: the family's postcode, else its district."""
    place = geocode(postcode) if postcode.strip() else None
    if place is None and district_id.isdigit():
        district = District.objects.filter(pk=int(district_id), latitude__isnull=False).first()
        if district is not None:
            place = Place(district.latitude, district.longitude, district.name)  # type: ignore[arg-type]
    return place


@dataclass(frozen=True)
class PickerResult:
    facilities: list[Facility]
    total: int


def picker_matches(text: str, *, scope: str, near: Place | None) -> PickerResult:
    """Facilities whose name, operator, street, postcode, city or district contain every word
    of ``text``, by name; each carries ``distance`` (km from ``near``, or None)."""
    words = text.lower().split()
    if len("".join(words)) < PICKER_MIN_CHARS:
        return PickerResult([], 0)
    qs = picker_base(scope).select_related("district").defer("district__boundary")
    for word in words[:6]:
        qs = qs.filter(Q(search_text__contains=word) | Q(district__name__icontains=word))
    total = qs.count()
    facilities = list(qs.order_by("name", "id")[:PICKER_LIMIT])
    for facility in facilities:
        facility.distance = distance_km(facility, near) if near else None  # type: ignore[attr-defined]
    return PickerResult(facilities, total)
