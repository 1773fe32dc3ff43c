"""Retention job of the information pages (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction

from lotse.core.retention import audit_scrub, months_before

from .models import AccessibilityFeedback

#: Accessibility feedback is deleted this many months after it arrived: long enough for the
#: answer and a complaint to the state's enforcement body about it.
RETENTION_MONTHS: int = getattr(settings, "LOTSE_ACCESSIBILITY_FEEDBACK_RETENTION_MONTHS", 24)


def retention_job(now: datetime) -> list[str]:
    cutoff = months_before(now, RETENTION_MONTHS)
    pks = list(
        AccessibilityFeedback.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)
    )
    with transaction.atomic():
        AccessibilityFeedback.objects.filter(pk__in=pks).delete()
        audit_scrub(AccessibilityFeedback, pks)
    return [f"infopages: {len(pks)} accessibility report(s) before {cutoff:%Y-%m-%d} deleted"]
