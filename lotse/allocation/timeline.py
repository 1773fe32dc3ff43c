"""The dates a family's status page needs about its allocation round (the port's
``round_timeline``): which round covers the application, when its snapshot was taken, when it
was published and last re-run, and which round comes next. Reads a few small columns only —
never a round's large JSON (``ROUND_LARGE_FIELDS``)."""

from __future__ import annotations

from django.db.models import QuerySet

from lotse.applications.models import Application
from lotse.applications.ports import RoundDates, RoundTimeline

from .models import Outcome, Round

_FIELDS = (
    "pk",
    "name",
    "start_from",
    "start_until",
    "status",
    "snapshot_at",
    "published_at",
    "last_run_at",
    "reruns",
    "planned_publication",
)


def _rounds(municipality: str) -> QuerySet[Round]:
    return Round.objects.filter(organisation__municipality=municipality).only(*_FIELDS)


def _dates(round_: Round) -> RoundDates:
    return RoundDates(
        name=round_.name,
        start_from=round_.start_from,
        start_until=round_.start_until,
        status=round_.status,
        snapshot_at=round_.snapshot_at,
        published_at=round_.published_at,
        last_run_at=round_.last_run_at,
        reruns=round_.reruns,
        planned_publication=round_.planned_publication,
    )


def covering_round(application: Application) -> Round | None:
    """The round the application takes part in (the newest with an outcome for it), else the
    newest open round whose start months include its desired start."""
    taken = (
        Outcome.objects.filter(application=application)
        .order_by("-round__published_at", "-pk")
        .values_list("round_id", flat=True)
        .first()
    )
    rounds = _rounds(application.municipality)
    if taken is not None:
        return rounds.filter(pk=taken).first()
    return (
        rounds.filter(
            start_from__lte=application.desired_start, start_until__gte=application.desired_start
        )
        .exclude(status=Round.Status.CLOSED)
        .order_by("-created_at", "-pk")
        .first()
    )


def round_timeline(application: Application) -> RoundTimeline:
    current = covering_round(application)
    after = current.start_until if current is not None else application.desired_start
    following = (
        _rounds(application.municipality)
        .filter(start_from__gt=after)
        .exclude(status=Round.Status.CLOSED)
        .order_by("start_from", "pk")
        .first()
    )
    in_snapshot = joined_late = False
    if current is not None and current.snapshot_at is not None:
        # The snapshot froze every received application for the round's months; one received
        # after it is a late application (services._late_applications).
        submitted = application.submitted_at or application.created_at
        joined_late = submitted > current.snapshot_at
        in_snapshot = not joined_late and application.status != Application.Status.SUBMITTED
    return RoundTimeline(
        current=_dates(current) if current is not None else None,
        next=_dates(following) if following is not None else None,
        in_snapshot=in_snapshot,
        joined_late=joined_late,
    )
