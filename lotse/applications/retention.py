"""Retention job of the applications app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from lotse.core.retention import audit_scrub, months_before

from .gdpr import ANONYMISED_NAME, anonymise_child
from .models import Application, Child, ShortlistEntry

#: Finished applications (withdrawn, declined, placed) are anonymised this many months after
#: their last change: long enough for objections against the allocation (Widerspruch, one
#: month, then court proceedings) and for the Jugendamt's annual planning report.
RETENTION_MONTHS: int = getattr(settings, "LOTSE_APPLICATIONS_RETENTION_MONTHS", 24)

FINISHED = (Application.Status.WITHDRAWN, Application.Status.DECLINED, Application.Status.PLACED)


def retention_job(now: datetime) -> list[str]:
    """Anonymise children whose applications all finished before the cut-off (rows stay for
    planning); delete children without any application created before the cut-off."""
    cutoff = months_before(now, RETENTION_MONTHS)
    recent_or_active = Application.objects.filter(child=OuterRef("pk")).filter(
        Q(updated_at__gte=cutoff) | ~Q(status__in=FINISHED)
    )
    any_application = Application.objects.filter(child=OuterRef("pk"))
    due = (
        Child.objects.filter(Exists(any_application))
        .exclude(Exists(recent_or_active))
        .filter(Q(guardian_links__isnull=False) | ~Q(first_name=ANONYMISED_NAME))
        .distinct()
    )
    anonymised = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            child = Child.objects.select_for_update().filter(pk=pk).first()
            if child is not None:
                anonymise_child(child)
                anonymised += 1
    orphans = Child.objects.filter(created_at__lt=cutoff).exclude(Exists(any_application))
    deleted = 0
    for child in list(orphans):
        with transaction.atomic():
            pk = child.pk
            child.delete()
            audit_scrub(Child, [pk])
            deleted += 1
    # Wish lists are a help for an application that was never made: they do not linger.
    stale, _ = ShortlistEntry.objects.filter(created_at__lt=cutoff).delete()
    return [
        f"applications: {anonymised} child(ren) with applications finished before "
        f"{cutoff:%Y-%m-%d} anonymised, {deleted} child(ren) without application deleted, "
        f"{stale} wish-list entr(ies) removed"
    ]
