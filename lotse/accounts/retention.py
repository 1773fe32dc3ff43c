"""Retention job of the accounts app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from lotse.core.retention import audit_scrub

from .models import Membership, User

#: Sign-ups whose e-mail address was never confirmed are deleted after this many days: such an
#: account was never usable (confirmation is mandatory) and may have been made by someone else.
UNCONFIRMED_DAYS: int = getattr(settings, "LOTSE_UNCONFIRMED_ACCOUNT_DAYS", 30)


def retention_job(now: datetime) -> list[str]:
    cutoff = now - timedelta(days=UNCONFIRMED_DAYS)
    confirmed = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    # Only sign-ups that never did anything: never signed in, no role, some e-mail row that is
    # unconfirmed (accounts created by administrators without one are left alone).
    unconfirmed = EmailAddress.objects.filter(user=OuterRef("pk"), verified=False)
    due = (
        User.objects.filter(date_joined__lt=cutoff, last_login__isnull=True, is_superuser=False)
        .filter(Exists(unconfirmed))
        .exclude(Exists(confirmed))
        .exclude(Exists(Membership.objects.filter(user=OuterRef("pk"))))
    )
    deleted = 0
    for user in list(due):
        with transaction.atomic():
            pk = user.pk
            user.delete()
            audit_scrub(User, [pk])
            deleted += 1
    return [
        f"accounts: {deleted} account(s) never confirmed within {UNCONFIRMED_DAYS} days deleted"
    ]
