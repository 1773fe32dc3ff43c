"""What happens next, and when — the status page's answer with real dates.

Every sentence names its date from the data: the offer's answer deadline, the application
deadline, when the round that covers the application froze its applications and was published
(or that it has not been set up yet), how many re-runs there were and when the last one ran,
and the next round. Dates are formatted in the reader's language (``formats``). Reads only; the
round's dates come from the allocation side through ``ports.round_timeline``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Application, Offer
from .ports import RoundDates, RoundTimeline


def day(value: dt.date | dt.datetime) -> str:
    """A date in the reader's language ("3. März 2030", "March 3, 2030", "3 مارس، 2030")."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def moment(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def months(round_: RoundDates) -> str:
    """The care start months of a round: "August 2027" or "August 2027 to July 2028"."""
    first = formats.date_format(round_.start_from, "YEAR_MONTH_FORMAT")
    if (round_.start_from.year, round_.start_from.month) == (
        round_.start_until.year,
        round_.start_until.month,
    ):
        return first
    last = formats.date_format(round_.start_until, "YEAR_MONTH_FORMAT")
    return _("%(first)s to %(last)s") % {"first": first, "last": last}


def published_line(round_: RoundDates) -> str:
    return _(
        "The allocation round “%(round)s” (care starting %(months)s) was published on %(date)s."
    ) % {"round": round_.name, "months": months(round_), "date": day(round_.published_at)}  # type: ignore[arg-type]


def reruns_line(round_: RoundDates) -> str:
    """When the round last re-ran after a seat freed up (or that it has not yet)."""
    if not round_.reruns or round_.last_run_at is None:
        return _("No place has freed up since the publication, so there has been no re-run yet.")
    return ngettext(
        "So far there was %(n)d re-run, on %(date)s.",
        "So far there were %(n)d re-runs; the last one ran on %(date)s.",
        round_.reruns,
    ) % {"n": round_.reruns, "date": day(round_.last_run_at)}


def planned_line(round_: RoundDates) -> str:
    """When the offers of a round not yet published are planned to go out ("" when the
    Jugendamt set no date, or the round is published: then its real date is said)."""
    planned = round_.planned_publication
    if planned is None or round_.status not in ("draft", "snapshot"):
        return ""
    if planned < timezone.localdate():
        return _(
            "The offers were planned to go out on %(date)s; the round is not published yet. "
            "You get an e-mail as soon as it is."
        ) % {"date": day(planned)}
    return _("The offers of this round are planned to go out on %(date)s.") % {"date": day(planned)}


def next_round_line(round_: RoundDates) -> str:
    if round_.published_at is not None:
        return _(
            "The next allocation round, “%(round)s”, is for care starting %(months)s "
            "(published on %(date)s). Your application stays in its own round and does not "
            "move to the next one by itself."
        ) % {"round": round_.name, "months": months(round_), "date": day(round_.published_at)}
    line = _(
        "The next allocation round, “%(round)s”, is for care starting %(months)s. Your "
        "application stays in its own round and does not move to the next one by itself."
    ) % {"round": round_.name, "months": months(round_)}
    planned = planned_line(round_)
    return f"{line} {planned}" if planned else line


def _before_allocation(
    application: Application, timeline: RoundTimeline, deadline: dt.date | None
) -> list[str]:
    steps: list[str] = []
    round_ = timeline.current
    today = timezone.localdate()
    open_ = deadline is not None and today <= deadline
    if open_:
        steps.append(
            _("Application deadline: %(date)s. Until then you can change your wishes or withdraw.")
            % {"date": day(deadline)}  # type: ignore[arg-type]
        )
    if round_ is None:
        steps.append(
            _(
                "No allocation round has been set up yet for your start month (%(month)s). "
                "The Jugendamt sets it up; this page then shows its dates."
            )
            % {"month": formats.date_format(application.desired_start, "YEAR_MONTH_FORMAT")}
        )
    elif round_.status == "published" and timeline.joined_late:
        steps.append(published_line(round_))
        steps.append(
            _(
                "Your application arrived after that. It joins the round at its next re-run, "
                "which starts by itself when an application arrives: it competes for the "
                "places still free and for every place that frees up later."
            )
        )
    elif round_.status == "snapshot" and timeline.joined_late:
        steps.append(
            _(
                "The allocation round “%(round)s” (care starting %(months)s) froze its "
                "applications on %(date)s, before yours arrived. Your application joins the "
                "round at its first re-run after it is published."
            )
            % {"round": round_.name, "months": months(round_), "date": day(round_.snapshot_at)}  # type: ignore[arg-type]
        )
    elif deadline is not None:
        steps.append(
            _(
                "Your application belongs to the allocation round “%(round)s” (care starting "
                "%(months)s). After the application deadline on %(date)s the Jugendamt "
                "freezes the applications and allocates all places in one round."
            )
            % {"round": round_.name, "months": months(round_), "date": day(deadline)}
        )
    else:
        steps.append(
            _(
                "Your application belongs to the allocation round “%(round)s” (care starting "
                "%(months)s). The Jugendamt has not yet set the date on which it freezes the "
                "applications and allocates all places in one round."
            )
            % {"round": round_.name, "months": months(round_)}
        )
    if round_ is not None and planned_line(round_):
        steps.append(planned_line(round_))
    steps.append(
        _("You get an e-mail with the result: an offer, or your places on the waiting lists.")
    )
    return steps


def next_steps(
    application: Application,
    offer: Offer | None,
    timeline: RoundTimeline,
    deadline: dt.date | None,
) -> list[str]:
    """The "what happens next, and when" list of the status page, in order."""
    S = Application.Status
    status = application.status
    round_ = timeline.current
    if status in (S.DRAFT, S.SUBMITTED):
        return _before_allocation(application, timeline, deadline)
    if status == S.IN_ALLOCATION:
        if round_ is not None and round_.snapshot_at is not None:
            planned = planned_line(round_)
            return [
                _(
                    "The Jugendamt froze the applications of the allocation round “%(round)s” "
                    "(care starting %(months)s) on %(date)s and is allocating all places now. "
                    "You get an e-mail with the result: an offer, or your places on the "
                    "waiting lists."
                )
                % {
                    "round": round_.name,
                    "months": months(round_),
                    "date": day(round_.snapshot_at),
                }
            ] + ([planned] if planned else [])
        return [
            _(
                "The allocation round is running. You get an e-mail with the result: an "
                "offer, or your places on the waiting lists."
            )
        ]
    steps: list[str] = []
    if status == S.OFFERED and offer is not None:
        steps.append(
            _(
                "Answer the offer by %(deadline)s. Without an answer it expires, the place "
                "goes to the next child and the application closes."
            )
            % {"deadline": moment(offer.deadline)}
        )
        if offer.wish_rank and offer.wish_rank > 1:
            steps.append(
                _(
                    "Until you answer, a place freed at a wish you ranked higher is offered to "
                    "you instead — automatically."
                )
            )
    elif status == S.WAITING:
        steps.append(
            _(
                "Whenever a place at one of your wishes frees up (an offer declined, expired "
                "or withdrawn), the allocation re-runs automatically and the place goes to "
                "the child first in line. If that is your child, you get an e-mail with the "
                "offer and its answer deadline."
            )
        )
    elif status == S.PLACED and offer is not None:
        return [
            _("The care contract is confirmed. Nothing else is needed in Lotse.")
            if offer.contract_confirmed_at
            else _("The facility contacts you to sign the care contract.")
        ]
    else:
        return [_("This application is closed. You can apply again at any time.")]
    if round_ is not None and round_.published_at is not None:
        steps.append(published_line(round_))
        steps.append(reruns_line(round_))
    if status == S.WAITING:
        steps.append(
            _(
                "Your waiting-list places stay until the allocation year ends; you do not "
                "need to do anything to keep them."
            )
        )
        if timeline.next is not None:
            steps.append(next_round_line(timeline.next))
    return steps


def wish_when(state: str, timeline: RoundTimeline) -> str:
    """The date a wish's row adds to its "next" step: when the re-runs last ran (waiting), or
    when the round froze the applications (taking part in the round)."""
    round_ = timeline.current
    if round_ is None:
        return ""
    if state in ("waiting", "no_list") and round_.published_at is not None:
        return reruns_line(round_)
    if state == "pending" and round_.snapshot_at is not None and timeline.in_snapshot:
        return _("The applications were frozen for the round on %(date)s.") % {
            "date": day(round_.snapshot_at)
        }
    return ""


# --------------------------------------------------------------------------- changing wishes


@dataclass(frozen=True)
class WishChange:
    """Whether the family can change its wishes now, and the truth about it.

    ``editable``: the whole application (before the application deadline, not yet frozen for
    a round — ``services._check_editable`` refuses otherwise). ``late``: only a wish added at
    the end of the list, after the deadline (``services.application_add_late_wish``): possible
    where the round's next re-run reads it — a late application (arrived after the round's
    snapshot; every re-run reads its wishes afresh) or an on-time application *waiting* in the
    published round (the re-run appends the new wish to its frozen ones, ranked after every
    wish named in time at its facility; docs/applications.md, "A wish after the deadline").
    ``frozen_at`` and ``round`` name the snapshot an on-time application's other wishes were
    frozen in (``None``/"" for a late application). ``reason``: why neither is possible, with
    its date ("" when one is)."""

    editable: bool
    late: bool = False
    reason: str = ""
    frozen_at: dt.datetime | None = None
    round: str = ""


def wish_change(
    application: Application,
    timeline: RoundTimeline,
    deadline: dt.date | None,
    *,
    max_wishes: int,
    ended_rank: int | None = None,
) -> WishChange:
    S = Application.Status
    status = application.status
    if status in Application.EDITABLE and (deadline is None or timezone.localdate() <= deadline):
        return WishChange(editable=True)
    if status not in (S.SUBMITTED, S.IN_ALLOCATION, S.OFFERED, S.WAITING):
        return WishChange(editable=False)
    round_ = timeline.current
    if status == S.IN_ALLOCATION:
        return WishChange(
            editable=False,
            reason=_("Your wishes cannot change while the round is being allocated."),
        )
    if status == S.OFFERED:
        return WishChange(
            editable=False,
            reason=_(
                "While you have an open offer, no wish can be added: a wish at the end of "
                "your list ranks below the offered place, so it could never bring you a "
                "place. Answer the offer first; the counselling service can help."
            ),
        )
    published = round_ is not None and round_.status == "published"
    on_time = published and timeline.in_snapshot and status == S.WAITING
    late_round = published and timeline.joined_late
    if not (on_time or late_round):
        if deadline is not None:
            return WishChange(
                editable=False,
                reason=_(
                    "The application deadline (%(date)s) has passed; your wishes can no "
                    "longer be changed. They take part in the allocation as they are."
                )
                % {"date": day(deadline)},
            )
        return WishChange(editable=False)
    if application.sibling_group_id is not None:
        return WishChange(
            editable=False,
            reason=_(
                "Your children share one list of wishes; the counselling service can help "
                "you change it after the deadline."
            ),
        )
    if ended_rank is not None:
        return WishChange(
            editable=False,
            reason=_(
                "After you declined an offer, the wishes ranked below it have ended; a wish "
                "added at the end would end as well, so it cannot be added."
            ),
        )
    if application.wishes.count() >= max_wishes:
        return WishChange(
            editable=False,
            reason=_("You have already named the most wishes allowed (%(n)d).") % {"n": max_wishes},
        )
    if on_time and round_ is not None:
        return WishChange(
            editable=False, late=True, frozen_at=round_.snapshot_at, round=round_.name
        )
    return WishChange(editable=False, late=True)
