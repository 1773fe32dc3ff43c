"""Plain, translated words for the engine's explanation codes (the "why" a family reads).

The engine stores data codes (``outranked``, ``deciding_criterion="catchment"``, values of the
child and of the last admitted child); these are turned into sentences here, at display time and
in the recipient's language, so a change of language never needs a re-run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lotse.directory.models import Facility

from .models import Outcome


@dataclass(frozen=True)
class Line:
    wish: int
    facility: str
    facility_id: int
    text: str
    position: int | None


def _date(ordinal: Any) -> str:
    try:
        return formats.date_format(dt.date.fromordinal(int(ordinal)), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError, OverflowError):
        return "?"


def _day(epoch: Any) -> str:
    try:
        day = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    except (TypeError, ValueError, OverflowError, OSError):
        return "?"
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _criterion_text(reason: dict[str, Any]) -> str:
    name = reason.get("deciding_criterion")
    mine, theirs = reason.get("child_value"), reason.get("cutoff_value")
    if name == "sibling":
        return _("The places went to children who already have a sibling there.")
    if name == "social_urgency":
        return _("The places went to children with a social urgency confirmed by the Jugendamt.")
    if name == "catchment":
        return _("The places went to children who live in the facility's district.")
    if name == "staff_child":
        return _("The places went to children of the facility's staff.")
    if name == "employment":
        return _("The places went to children whose parents work or are in training.")
    if name == "single_parent":
        return _("The places went to children of single parents.")
    if name == "age":
        return _(
            "The places went to older children: the youngest child admitted was born on "
            "%(cutoff)s, your child on %(mine)s."
        ) % {"cutoff": _date(theirs), "mine": _date(mine)}
    if name == "application_date":
        return _(
            "The places went to earlier applications: the last one admitted arrived on "
            "%(cutoff)s, yours on %(mine)s."
        ) % {"cutoff": _day(theirs), "mine": _day(mine)}
    if name == "lottery":
        return _(
            "Your child had the same priority as the last child admitted; the published "
            "lottery decided (your number %(mine)s, last number admitted %(cutoff)s)."
        ) % {"mine": mine, "cutoff": theirs}
    if name == "current_place":
        return _("The places were held by children who already had an offer there.")
    return _("The places went to children with higher priority.")


def reason_text(reason: dict[str, Any]) -> str:
    code = reason.get("reason")
    if code == "not_acceptable":
        return _("This facility cannot take your child.")
    if code == "no_capacity":
        return _(
            "This facility has no free places for your child's age group at the desired start."
        )
    if code == "outranked":
        capacity = int(reason.get("capacity", 0) or 0)
        first = ngettext(
            "The only free place went to a child with higher priority.",
            "All %(capacity)d free places went to children with higher priority.",
            capacity,
        ) % {"capacity": capacity}
        return f"{first} {_criterion_text(reason)}"
    if code in ("does_not_fit", "sibling_group_does_not_fit"):
        return _("Not enough places were left for your child (or siblings) there.")
    return _("A place there should have been possible; the Jugendamt is checking this.")


def explain_outcome(outcome: Outcome | None) -> list[Line]:
    """One line per wish ranked above the one the child got (all wishes if it got none)."""
    if outcome is None:
        return []
    ids = {int(r["facility"]) for r in outcome.reasons}
    names = dict(Facility.objects.filter(pk__in=ids).values_list("pk", "name"))
    positions = {int(w["facility"]): int(w["position"]) for w in outcome.waiting}
    return [
        Line(
            wish=int(r.get("wish", 0)),
            facility=names.get(int(r["facility"]), "?"),
            facility_id=int(r["facility"]),
            text=reason_text(r),
            position=positions.get(int(r["facility"])),
        )
        for r in outcome.reasons
    ]
