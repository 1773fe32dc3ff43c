"""Retention job of the allocation app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction

from lotse.core.retention import months_before

from .models import Round

#: A closed round's snapshot (application ids, birth dates, priority facts) and its published
#: assignment are the proof of the published allocation; both are cleared this many months
#: after publication.
SNAPSHOT_RETENTION_MONTHS: int = getattr(settings, "LOTSE_ALLOCATION_SNAPSHOT_RETENTION_MONTHS", 36)


def retention_job(now: datetime) -> list[str]:
    cutoff = months_before(now, SNAPSHOT_RETENTION_MONTHS)
    with transaction.atomic():
        cleared = Round.objects.filter(
            status=Round.Status.CLOSED, published_at__lt=cutoff, snapshot__isnull=False
        ).update(snapshot=None, published_assignment=None, pool_digests={})
    return [
        f"allocation: snapshots of {cleared} closed round(s) published before "
        f"{cutoff:%Y-%m-%d} cleared"
    ]
