"""schema.org ``ChildCare`` description of a facility, for search engines and other portals."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .models import Facility

DAY_URIS = {
    "mon": "https://schema.org/Monday",
    "tue": "https://schema.org/Tuesday",
    "wed": "https://schema.org/Wednesday",
    "thu": "https://schema.org/Thursday",
    "fri": "https://schema.org/Friday",
    "sat": "https://schema.org/Saturday",
    "sun": "https://schema.org/Sunday",
}


def facility_jsonld(facility: Facility, request: HttpRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ChildCare",
        "@id": request.build_absolute_uri(reverse("directory:facility", args=[facility.pk])),
        "name": facility.name,
        "url": facility.website or request.build_absolute_uri(),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": facility.street,
            "postalCode": facility.postcode,
            "addressLocality": facility.city,
            "addressCountry": "DE",
        },
    }
    if facility.has_location:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": facility.latitude,
            "longitude": facility.longitude,
        }
    if facility.phone:
        data["telephone"] = facility.phone
    if facility.email:
        data["email"] = facility.email
    if facility.operator_name:
        data["parentOrganization"] = {"@type": "Organization", "name": facility.operator_name}
    if facility.opening_hours:
        data["openingHoursSpecification"] = [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": DAY_URIS[day],
                "opens": span[0],
                "closes": span[1],
            }
            for day, span in facility.opening_hours.items()
            if day in DAY_URIS and len(span) == 2
        ]
    languages = [lang.code for lang in facility.languages.all()]
    if languages:
        data["availableLanguage"] = languages
    if facility.barrier_free is not None:
        data["amenityFeature"] = [
            {
                "@type": "LocationFeatureSpecification",
                "name": "barrier-free",
                "value": facility.barrier_free,
            }
        ]
    if facility.places_total:
        data["maximumAttendeeCapacity"] = facility.places_total
    return data
