"""Retention job of the allocation app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction

from lotse.core.audit import bulk_audit
from lotse.core.retention import months_before

from .models import Round, Run, Simulation

#: A closed round's snapshot (application ids, birth dates, priority facts) and its published
#: assignment are the proof of the published allocation; both are cleared this many months
#: after publication.
SNAPSHOT_RETENTION_MONTHS: int = getattr(settings, "LOTSE_ALLOCATION_SNAPSHOT_RETENTION_MONTHS", 36)


def retention_job(now: datetime) -> list[str]:
    cutoff = months_before(now, SNAPSHOT_RETENTION_MONTHS)
    with transaction.atomic():
        due = Round.objects.filter(
            status=Round.Status.CLOSED, published_at__lt=cutoff, snapshot__isnull=False
        )
        ids = list(due.values_list("pk", flat=True))
        cleared = Round.objects.filter(pk__in=ids).update(
            snapshot=None, published_assignment=None, pool_digests={}, publish_preview=None
        )
        bulk_audit(
            Round,
            ((pk, f"#{pk}", {"published_assignment": ["…", None]}) for pk in ids),
            actor=None,  # the retention job
        )
        # What each run used and its assignment are certified with that snapshot: cleared too.
        run_ids = list(Run.objects.filter(round_id__in=ids).values_list("pk", flat=True))
        Run.objects.filter(pk__in=run_ids).update(inputs=b"", assigned=b"", late_draws=[])
        bulk_audit(
            Run,
            ((pk, f"#{pk}", {"assigned": ["…", None]}) for pk in run_ids),
            actor=None,  # the retention job
        )
        # The per-child results of simulations go with the snapshot they were computed from.
        simulations = list(
            Simulation.objects.filter(
                round__status=Round.Status.CLOSED, round__published_at__lt=cutoff
            )
            .exclude(results={})
            .values_list("pk", flat=True)
        )
        Simulation.objects.filter(pk__in=simulations).update(results={})
        bulk_audit(
            Simulation,
            ((pk, f"#{pk}", {"results": ["…", None]}) for pk in simulations),
            actor=None,  # the retention job
        )
    return [
        f"allocation: snapshots of {cleared} closed round(s) published before "
        f"{cutoff:%Y-%m-%d} cleared"
    ]
