"""Retention job of the news app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from .models import Subscription

#: Unconfirmed subscriptions (double opt-in never completed) are deleted after this many days.
PENDING_DAYS: int = getattr(settings, "LOTSE_NEWS_PENDING_SUBSCRIPTION_DAYS", 7)


def retention_job(now: datetime) -> list[str]:
    """Delete subscriptions whose address was never confirmed. Confirmed ones are kept until
    the person unsubscribes (one click in every mail) or erases their data."""
    cutoff = now - timedelta(days=PENDING_DAYS)
    with transaction.atomic():
        deleted, _ = Subscription.objects.filter(
            confirmed_at__isnull=True, created_at__lt=cutoff
        ).delete()
    return [f"news: {deleted} unconfirmed subscription(s) older than {PENDING_DAYS} days deleted"]
