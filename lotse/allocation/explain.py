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

from lotse.applications.models import Application
from lotse.applications.standing import age_group_words
from lotse.directory.models import Facility

from .models import Outcome


@dataclass(frozen=True)
class Line:
    wish: int
    facility: str
    facility_id: int
    text: str
    position: int | None
    #: the engine's reason code (``outranked``, ``no_capacity``, …)
    code: str = ""
    #: the cut-off in plain words: which published rule decided, or "" when none applies
    cutoff: str = ""


def _rule_label(name: str) -> str:
    from .models import Criterion

    if name == "lottery":
        return _("the published lottery")
    return str(dict(Criterion.choices).get(name, name))


def cutoff_text(reason: dict[str, Any], criteria: list[str]) -> str:
    """ "The cut-off": which rule of the published order separated the last child admitted from
    this child (every rule before it was equal for both). Empty when no cut-off applies."""
    name = reason.get("deciding_criterion")
    if reason.get("reason") != "outranked" or not name or name == "sibling_order":
        return ""
    if name == "current_place":
        return _("Cut-off: the places were already held by children with an offer there.")
    if name == "late_wish":
        return _(
            "Cut-off: your wish for this facility was added after the deadline; it comes "
            "after every child who wished it in time."
        )
    order = [*criteria, "lottery"]
    if name not in order:
        return ""
    if name == "lottery":
        return _(
            "Cut-off: your child met the same rules as the last child admitted (all %(n)d "
            "rules); the published lottery decided — the last number admitted was %(cutoff)s, "
            "your child's number is %(mine)s."
        ) % {
            "n": len(criteria),
            "cutoff": reason.get("cutoff_value"),
            "mine": reason.get("child_value"),
        }
    return _(
        "Cut-off: rule %(k)d of %(n)d in the published order decided — “%(rule)s”. Up to this "
        "rule your child and the last child admitted were equal."
    ) % {"k": order.index(name) + 1, "n": len(order), "rule": _rule_label(name)}


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
    if name == "late_wish":
        return _(
            "The places went to children who had named this facility before the applications "
            "were frozen; a wish added after the deadline comes after them."
        )
    return _("The places went to children with higher priority.")


def reason_text(reason: dict[str, Any], group: str = "") -> str:
    """The "why" for one wish; ``group`` names the child's age group and start ("3 to school
    entry, from 08/2027") where the facility's places are meant.

    A wish the child could also have had in the facility's mixed group (1 to 6 years) has the
    mixed group's reason under ``"mixed"``; a reason about the mixed group alone has
    ``"seat": "mixed"`` (services._by_wish). Both are said.
    """
    if reason.get("seat") == "mixed":
        return _mixed_text(reason)
    text = _seat_reason_text(reason, group)
    if isinstance(reason.get("mixed"), dict):
        text = f"{text} {_mixed_text(reason['mixed'])}"
    return text


def _mixed_text(reason: dict[str, Any]) -> str:
    inner = _seat_reason_text(reason, str(_("mixed group, 1 to 6 years")))
    return _("In its mixed groups (1 to 6 years): %(reason)s") % {"reason": inner}


def _seat_reason_text(reason: dict[str, Any], group: str) -> str:
    code = reason.get("reason")
    if code == "not_acceptable":
        return _("This facility cannot take your child.")
    if code == "no_capacity":
        if group:
            return _(
                "This facility has no free places for your child's age group (%(group)s), so "
                "there is no waiting list for your child there."
            ) % {"group": group}
        return _(
            "This facility has no free places for your child's age group at the desired start."
        )
    if code == "outranked":
        capacity = int(reason.get("capacity", 0) or 0)
        if group:
            first = ngettext(
                "The only free place for your child's age group (%(group)s) went to a child "
                "with higher priority.",
                "All %(capacity)d free places for your child's age group (%(group)s) went to "
                "children with higher priority.",
                capacity,
            ) % {"capacity": capacity, "group": group}
        else:
            first = ngettext(
                "The only free place went to a child with higher priority.",
                "All %(capacity)d free places went to children with higher priority.",
                capacity,
            ) % {"capacity": capacity}
        return f"{first} {_criterion_text(reason)}"
    if code == "does_not_fit":
        weight = int(reason.get("weight") or 1)
        if weight > 1:  # an under-3 child in a mixed group (weight ≥ 2)
            return _(
                "Not enough places were left for your child there: a child under 3 counts "
                "%(weight)d places in a mixed group, and %(room)d remained."
            ) % {"weight": weight, "room": int(reason.get("room_left") or 0)}
        return _("Not enough places were left for your child there.")
    if code == "sibling_group_does_not_fit":
        return _(
            "There would have been a place for your child alone, but not for your children "
            "together."
        )
    if code == "sibling_keeps_current_place":
        return _(
            "Your children could have been placed here together only if one of them gave up "
            "the place it already has. A place a child already has is never taken away."
        )
    return _("A place there should have been possible; the Jugendamt is checking this.")


def explain_outcome(outcome: Outcome | None) -> list[Line]:
    """One line per wish ranked above the one the child got (all wishes if it got none)."""
    if outcome is None:
        return []
    ids = {int(r["facility"]) for r in outcome.reasons}
    names = dict(Facility.objects.filter(pk__in=ids).values_list("pk", "name"))
    positions = {int(w["facility"]): int(w["position"]) for w in outcome.waiting}
    rules = outcome.round.published_rules or outcome.round.rules
    criteria = list(rules.criteria) if rules is not None else []
    group = age_group_words(outcome.application)
    return [
        Line(
            wish=int(r.get("wish", 0)),
            facility=names.get(int(r["facility"]), "?"),
            facility_id=int(r["facility"]),
            text=reason_text(r, group),
            position=positions.get(int(r["facility"])),
            code=str(r.get("reason", "")),
            cutoff=cutoff_text(r, criteria),
        )
        for r in outcome.reasons
    ]


def together_text(outcome: Outcome | None) -> str | None:
    """How a sibling group came out, for the family ("placed together with Ben"), or None.

    ``Outcome.together`` is written by the run (see services._together_of): the other
    members' applications, required or preferred, and whether they were placed together.
    """
    if outcome is None or not outcome.together:
        return None
    group = outcome.together
    others = [int(a) for a in group.get("with", [])]
    names = ", ".join(
        Application.objects.filter(pk__in=others)
        .order_by("child__first_name")
        .values_list("child__first_name", flat=True)
    )
    if group.get("placed") == "together":
        return _("Placed together with %(names)s.") % {"names": names}
    if group.get("together") == "required":
        if outcome.offer_id is None:
            n = len(others) + 1
            return ngettext(
                "Not placed yet: no facility on your list had a free place for your child.",
                "Not placed yet: no facility on your list had %(n)d free places for your "
                "children together at the same time.",
                n,
            ) % {"n": n}
        return _(
            "Your children could not be placed together yet. A place a child already has is "
            "never taken away."
        )
    return _(
        "Your child could not be placed together with %(names)s, so each child was "
        "considered on its own with your whole list of wishes."
    ) % {"names": names}
