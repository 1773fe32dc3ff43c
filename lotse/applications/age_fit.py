"""Does a facility take a child of this age at the desired start? (The right Kita.)

A wish is refused, with an explanation and a suggestion of the facility kinds that do fit, when

1. the facility states an age range (``age_from_months``/``age_to_months``, both inclusive, the
   same reading as the public search) and the child's age at the start lies outside it; or
2. the facility states its places per seat type (``seats_under3``/``seats_over3``/
   ``seats_school``/``seats_mixed`` of the directory, or seats entered as ``SeatQuota``) and
   has none of the child's age band (``seat_type_for``) and no mixed group (1 to 6 years) the
   child is old enough for (``directory.models.fits_mixed_group``).

A facility that states neither is not judged. :func:`age_problems` is used by the service
(the guard: ``services._clean_application``) and by the parent's and the counsellor's forms
(the same words next to the wish, before anything is saved).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lotse.directory.models import AgeBand, Facility, SeatType, fits_mixed_group
from lotse.directory.selectors import age_in_months

from .models import SeatQuota, seat_type_for


def _age_words(months: int) -> str:
    if months < 24:
        return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
    years = months // 12
    return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}


def _range_words(facility: Facility) -> str:
    lo, hi = facility.age_from_months, facility.age_to_months
    if lo is not None and hi is not None:
        return _("from %(lo)s to %(hi)s") % {"lo": _age_words(lo), "hi": _age_words(hi)}
    if lo is not None:
        return _("from %(lo)s") % {"lo": _age_words(lo)}
    return _("up to %(hi)s") % {"hi": _age_words(hi or 0)}


def suggestion(band: str) -> str:
    """Which kinds of facility take a child of this seat type (glossary terms)."""
    if band == AgeBand.UNDER_3:
        return _("For children under 3, look for a Krippe, a Kita or Kindertagespflege.")
    if band == AgeBand.OVER_3:
        return _("For children from 3 until school, look for a Kindergarten or a Kita.")
    return _("For school children, look for a Hort or a Mittagsbetreuung.")


def _outside_range(facility: Facility, months: int) -> bool:
    lo, hi = facility.age_from_months, facility.age_to_months
    return (lo is not None and months < lo) or (hi is not None and months > hi)


def _lacks_seat_type(facility: Facility, band: str, months: int, quota_types: set[str]) -> bool:
    """The facility states places per seat type (directory counts or entered seats) and has
    none for this child: none of its age band, and no mixed group it is old enough for."""
    stated = {
        t
        for t in SeatType.values
        if facility.seats_for(t) > 0  # licensed places by seat type (directory)
    } | quota_types
    if SeatType.MIXED in stated and fits_mixed_group(months):
        return False
    return bool(stated) and band not in stated


def age_problems(
    wishes: Sequence[Facility], birth_date: dt.date | None, start: dt.date | None
) -> dict[int, str]:
    """Position in ``wishes`` (0-based) → why that facility cannot take the child."""
    if birth_date is None or start is None or not wishes:
        return {}
    months = age_in_months(birth_date, start)
    band = seat_type_for(birth_date, start)
    quota_bands: dict[int, set[str]] = {}
    for facility_id, seat_type in SeatQuota.objects.filter(
        facility__in=[f.pk for f in wishes]
    ).values_list("facility_id", "seat_type"):
        quota_bands.setdefault(facility_id, set()).add(seat_type)
    out: dict[int, str] = {}
    for i, facility in enumerate(wishes):
        if _outside_range(facility, months):
            reason = _(
                "%(facility)s takes children %(range)s; your child will be %(age)s old at the "
                "start (%(start)s)."
            ) % {
                "facility": facility.name,
                "range": _range_words(facility),
                "age": _age_words(months),
                "start": start.strftime("%m/%Y"),
            }
        elif _lacks_seat_type(facility, band, months, quota_bands.get(facility.pk, set())):
            reason = _(
                "%(facility)s has no places for the age group of your child at the start "
                "(%(band)s)."
            ) % {"facility": facility.name, "band": AgeBand(band).label}
        else:
            continue
        out[i] = f"{reason} {suggestion(band)}"
    return out
