"""Where a family stands with each wish, and why — the rows of the status page.

Every wish of the application gets one row: its state (offer here, number n on the waiting
list, no list for the child's age group, ended, …), the reason in plain words with the cut-off
of the published run (from the allocation side, through ``ports.outcome_lines``) and what
happens next for that wish. Reads only; the application comes from a scoped selector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Application, Offer, Wish
from .ports import NO_TIMELINE, RoundTimeline
from .selectors import ended_from_rank
from .when import wish_when


@dataclass(frozen=True)
class WishStanding:
    wish: Wish
    #: offered, placed, waiting, no_list, below_offer, ended, pending, closed
    state: str
    label: str
    why: str = ""
    cutoff: str = ""
    next: str = ""
    position: int | None = None
    #: the date that goes with ``next`` (the last re-run, the round's snapshot), or ""
    when: str = ""


def age_group_words(application: Application) -> str:
    """The child's seat type and start as a family reads it: "3 to school entry, from
    August 2027"."""
    return _("%(group)s, from %(start)s") % {
        "group": application.seat_type_label,
        "start": formats.date_format(application.desired_start, "YEAR_MONTH_FORMAT"),
    }


def _deadline(offer: Offer) -> str:
    return formats.date_format(timezone.localtime(offer.deadline), "DATETIME_FORMAT")


def _position_label(position: int) -> str:
    ahead = position - 1
    if not ahead:
        return _("Number 1 on the waiting list — next in line")
    return ngettext(
        "Number %(n)d on the waiting list (%(ahead)d child ahead)",
        "Number %(n)d on the waiting list (%(ahead)d children ahead)",
        ahead,
    ) % {"n": position, "ahead": ahead}


def _from_line(wish: Wish, line: Any, holds_offer: bool) -> WishStanding:
    if line.position:
        after = (
            _(
                "If a place frees up here, you get this offer instead of the current one — "
                "automatically, by e-mail."
            )
            if holds_offer
            else _(
                "If a place frees up here, the allocation re-runs automatically and the "
                "place goes to the child first in line; you get an e-mail."
            )
        )
        return WishStanding(
            wish=wish,
            state="waiting",
            label=_position_label(line.position),
            why=line.text,
            cutoff=line.cutoff,
            next=after,
            position=line.position,
        )
    return WishStanding(
        wish=wish,
        state="no_list",
        label=_("No waiting list for your child here"),
        why=line.text,
        cutoff=line.cutoff,
        next=_(
            "A place here can only come up if the facility adds places for this age "
            "group. Ask the counselling service about alternatives."
        ),
    )


def wish_standings(
    application: Application,
    offer: Offer | None,
    lines: Sequence[Any],
    timeline: RoundTimeline = NO_TIMELINE,
) -> list[WishStanding]:
    """One row per wish, best first. ``offer`` is the open or accepted offer (or None),
    ``lines`` the explained outcome (``ports.allocation().outcome_lines``), ``timeline`` the
    round's dates (``ports.allocation().round_timeline``) for each row's "when"."""
    by_facility = {line.facility_id: line for line in lines}
    ended = ended_from_rank(application)
    status = application.status
    rows = []
    for wish in application.wishes.all():
        row = _standing(application, status, wish, offer, by_facility.get(wish.facility_id), ended)
        rows.append(replace(row, when=wish_when(row.state, timeline)))
    return rows


def _standing(
    application: Application,
    status: str,
    wish: Wish,
    offer: Offer | None,
    line: Any,
    ended: int | None,
) -> WishStanding:
    S = Application.Status
    if offer is not None and offer.facility_id == wish.facility_id:
        if offer.is_placed:
            return WishStanding(wish=wish, state="placed", label=_("Place accepted"))
        return WishStanding(
            wish=wish,
            state="offered",
            label=_("Offer: answer by %(deadline)s") % {"deadline": _deadline(offer)},
            next=_(
                "Accept or decline above. Without an answer the offer expires and the place "
                "goes to the next child."
            ),
        )
    if status in (S.DRAFT, S.SUBMITTED, S.IN_ALLOCATION):
        return WishStanding(
            wish=wish,
            state="pending",
            label=_("Takes part in the allocation round"),
            next=_(
                "The Jugendamt allocates all places in one round; you get an e-mail with "
                "the result."
            ),
        )
    if status == S.WITHDRAWN:
        return WishStanding(wish=wish, state="closed", label=_("Ended: application withdrawn"))
    if ended is not None and wish.rank >= ended:
        label = (
            _("Ended: you declined this place")
            if wish.rank == ended
            else _("Ended: ranked below a place you declined")
        )
        return WishStanding(wish=wish, state="ended", label=label)
    held_rank = offer.wish_rank if offer is not None else None
    if held_rank and wish.rank > held_rank:
        if offer is not None and offer.is_placed:
            return WishStanding(
                wish=wish, state="closed", label=_("Ended: you accepted a place you ranked higher")
            )
        return WishStanding(
            wish=wish,
            state="below_offer",
            label=_("Not needed: you have an offer for a wish you ranked higher"),
        )
    if status == S.PLACED:
        return WishStanding(wish=wish, state="closed", label=_("Ended: you accepted a place"))
    if status == S.DECLINED:
        return WishStanding(wish=wish, state="closed", label=_("Ended: the application is closed"))
    if line is not None:
        return _from_line(wish, line, holds_offer=offer is not None and offer.is_open)
    return WishStanding(
        wish=wish,
        state="waiting",
        label=_("On the waiting list"),
        next=_(
            "If a place frees up here, the allocation re-runs automatically; you get an e-mail."
        ),
    )


# --------------------------------------------------------------------------- facilities


def facility_rows(
    facility_id: int, wishes: Sequence[Wish], own_offers: dict[int, Offer]
) -> list[tuple[Wish, Offer | None, str]]:
    """The facility's list: each wish naming it with *its* offer (if any) and a status that
    speaks of this facility only — never another facility's offer shown as if it were
    theirs (the application's status "offer made" meant an offer elsewhere)."""
    app_ids = [w.application_id for w in wishes]
    elsewhere: dict[int, tuple[str, int | None]] = {}
    declined: dict[int, int] = {}
    rows = (
        Offer.objects.filter(application_id__in=app_ids)
        .exclude(facility_id=facility_id)
        .filter(status__in=[Offer.Status.OFFERED, Offer.Status.ACCEPTED, Offer.Status.DECLINED])
        .values_list("application_id", "status", "wish_rank")
    )
    for app_id, status, rank in rows:
        if status == Offer.Status.DECLINED:
            if rank:
                declined[app_id] = min(rank, declined.get(app_id, rank))
        else:
            elsewhere[app_id] = (status, rank)
    out = []
    for wish in wishes:
        own = own_offers.get(wish.application_id)
        label = (
            _own_offer_label(own)
            if own is not None
            else _status_here(
                wish, elsewhere.get(wish.application_id), declined.get(wish.application_id)
            )
        )
        out.append((wish, own, label))
    return out


def _own_offer_label(offer: Offer) -> str:
    label = str(offer.get_status_display())
    if offer.contract_confirmed_at:
        label = f"{label} · {_('contract confirmed')}"
    return label


def _status_here(
    wish: Wish, elsewhere: tuple[str, int | None] | None, declined_rank: int | None
) -> str:
    S = Application.Status
    status = wish.application.status
    if status in (S.DRAFT, S.SUBMITTED, S.IN_ALLOCATION):
        return str(wish.application.get_status_display())
    if elsewhere is not None:
        other_status, other_rank = elsewhere
        if other_status == Offer.Status.ACCEPTED:
            return _("Placed at another facility")
        if other_rank and wish.rank < other_rank:
            return _("On your waiting list")
        return _("Not considered here: offered a place the family ranked higher")
    if declined_rank is not None and wish.rank >= declined_rank:
        return _("Ended: the family declined an offer")
    if status == S.WAITING:
        return _("On your waiting list")
    return _("Closed")
