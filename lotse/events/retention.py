"""Retention job of the events app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce

from lotse.core.retention import months_before

from .gdpr import anonymise_registration, scrub_registration_audit
from .models import Registration

#: Registrations are anonymised this many months after their event ended: long enough for
#: certificates of attendance, fee queries and the organiser's reports to funders.
RETENTION_MONTHS: int = getattr(settings, "LOTSE_EVENTS_RETENTION_MONTHS", 24)


def retention_job(now: datetime) -> list[str]:
    """Anonymise registrations (name, address, workplace, answers, account link) of events
    that ended more than ``RETENTION_MONTHS`` ago; attendance and fees stay as counts."""
    cutoff = months_before(now, RETENTION_MONTHS)
    due = (
        Registration.objects.annotate(
            # An event without dates counts as ended when its registration closed.
            ended=Coalesce(Max("event__sessions__ends_at"), "event__registration_closes")
        )
        .filter(ended__lt=cutoff)
        .filter(Q(user__isnull=False) | ~Q(email__endswith="@invalid.example") | ~Q(full_name=""))
    )
    pks = list(due.values_list("pk", flat=True))
    with transaction.atomic():
        for registration in Registration.objects.select_for_update().filter(pk__in=pks):
            anonymise_registration(registration)
        scrub_registration_audit(pks)
    return [
        f"events: {len(pks)} registration(s) of events ended before {cutoff:%Y-%m-%d} anonymised"
    ]
