"""Retention job of the counselling app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .services import retention_apply


def retention_job(now: datetime) -> list[str]:
    """Anonymise or erase cases whose own retention date (``Case.retention_until``) passed."""
    report = retention_apply(today=timezone.localdate(now))
    return [f"counselling: {report.summary()}"]
