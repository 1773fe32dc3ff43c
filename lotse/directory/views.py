from __future__ import annotations

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.accounts.models import Role
from lotse.accounts.permissions import role_required
from lotse.core.feedback import form_add_errors, render_form
from lotse.core.ratelimit import rate_limited

from .forms import FacilityProfileForm, FacilitySearchForm
from .jsonld import facility_jsonld
from .models import WEEKDAY_LABELS, Facility
from .selectors import (
    SearchPaginator,
    distance_km,
    district_shapes,
    facility_detail,
    facility_map_points,
    facility_search,
    get_facility_for_staff,
    public_services,
)
from .services import PROFILE_FIELDS, facility_profile_update

PAGE_SIZE = 20


def _search(request: HttpRequest) -> tuple[FacilitySearchForm, object | None]:
    # Always bound: every field is optional, so an empty query string lists everything.
    form = FacilitySearchForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, facility_search(form.to_query())


@rate_limited("search")
def search(request: HttpRequest) -> HttpResponse:
    form, results = _search(request)
    page = None
    if results is not None:
        page = SearchPaginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
        if form.place:
            for facility in page.object_list:
                facility.distance = distance_km(facility, form.place)
    template = "directory/_results.html" if request.htmx else "directory/search.html"
    # Bad filters are a clear 400; htmx only swaps 2xx answers into the page, so the live
    # search gets its error message as 200.
    status = 400 if form.errors and not request.htmx else 200
    return render(request, template, {"form": form, "page": page}, status=status)


@rate_limited("search")
def map_view(request: HttpRequest) -> HttpResponse:
    form, results = _search(request)
    page = None
    if results is not None:
        page = SearchPaginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    config = {
        "tileUrl": settings.LOTSE_MAP_TILE_URL,
        "attribution": settings.LOTSE_MAP_ATTRIBUTION,
        "center": settings.LOTSE_MAP_CENTER,
        "pointsUrl": reverse("directory:map_points") + "?" + request.GET.urlencode(),
        "districtsUrl": reverse("directory:map_districts"),
        # The searched address ("near") as its own marker, with the search radius.
        "place": (
            {
                "lat": form.place.latitude,
                "lon": form.place.longitude,
                "label": form.place.label,
                "radiusKm": form.cleaned_data.get("radius") or 10,
            }
            if getattr(form, "place", None) and not form.errors
            else None
        ),
        # ?service_kind=family_manager shows only that kind of service (link from networks).
        "servicesUrl": reverse("directory:service_points")
        + (
            "?" + urlencode({"kind": request.GET["service_kind"]})
            if request.GET.get("service_kind")
            else ""
        ),
        "labels": {
            "details": _("Details"),
            "freePlaces": _("free places"),
            "services": _("Counselling and family services"),
            "districts": _("Districts"),
            "searched": _("Your search"),
        },
    }
    return render(
        request,
        "directory/map.html",
        {"form": form, "page": page, "map_config": config},
        status=400 if form.errors else 200,
    )


@rate_limited("search")
def map_points(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the facilities matching the same filters as the search page."""
    form, results = _search(request)
    if results is None:
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p["longitude"], p["latitude"]]},
            "properties": {
                "id": p["id"],
                "name": p["name"],
                "kind": p["kind"],
                "address": f"{p['street']}, {p['postcode']} {p['city']}".strip(", "),
                "free_places": p["free_places"],
                "url": reverse("directory:facility", args=[p["id"]]),
            },
        }
        for p in facility_map_points(results)
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


def map_districts(request: HttpRequest) -> JsonResponse:
    """The municipality's district boundaries and names: the map's own base layer, so the map
    reads as a map when no tile server answers (offline, in tests, behind a firewall)."""
    response = JsonResponse(
        {
            "type": "FeatureCollection",
            "features": district_shapes(settings.LOTSE_MUNICIPALITY_NAME),
        }
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


def service_points(request: HttpRequest) -> JsonResponse:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s.longitude, s.latitude]},
            "properties": {
                "id": s.pk,
                "name": s.name,
                "kind": s.get_kind_display(),
                "area": s.area_of_activity,
                "address": s.address,
            },
        }
        for s in public_services(request.GET.get("kind") or None).filter(latitude__isnull=False)
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


def facility(request: HttpRequest, pk: int) -> HttpResponse:
    obj = facility_detail(pk)
    return render(
        request,
        "directory/facility_detail.html",
        {
            "facility": obj,
            "jsonld": json.dumps(facility_jsonld(obj, request), ensure_ascii=False),
            "weekdays": _weekday_rows(obj.opening_hours),
        },
    )


def services(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/services.html", {"services": public_services()})


def _weekday_rows(hours: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [
        (str(label), f"{hours[key][0]}–{hours[key][1]}")
        for key, label in WEEKDAY_LABELS.items()
        if key in hours and len(hours[key]) == 2
    ]


@role_required(Role.FACILITY_STAFF)
def facility_profile(request: HttpRequest, pk: int) -> HttpResponse:
    """Facility staff edit the public profile of their facility."""
    facility = get_facility_for_staff(request.user, pk)
    # The form validates a copy so that a failed save leaves the loaded facility untouched.
    form = FacilityProfileForm(request.POST or None, instance=Facility.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            facility_profile_update(
                actor=request.user,
                facility=facility,
                **{name: form.cleaned_data[name] for name in PROFILE_FIELDS},
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("The profile was saved."))
            return redirect("applications:facility", pk=facility.pk)
    return render_form(request, "directory/profile_form.html", {"facility": facility}, form)
