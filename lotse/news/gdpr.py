"""GDPR hooks of the news app: a person's e-mail subscriptions (export, erasure).

Found by ``lotse.accounts.gdpr``. The posts a staff member wrote or published are the
organisation's work records: they stay, linked to the anonymised account.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from lotse.accounts.models import User

from .models import Subscription


def _subscriptions(user: User) -> QuerySet[Subscription]:
    # By account, or by the person's own address (subscribing needs no account).
    return Subscription.objects.filter(Q(user=user) | Q(email__iexact=user.email)).select_related(
        "organisation"
    )


def export_user_data(user: User) -> dict[str, Any]:
    return {
        "subscriptions": [
            {
                "organisation": item.organisation.name,
                "email": item.email,
                "language": item.language,
                "subscribed_at": item.created_at.isoformat(),
                "confirmed_at": item.confirmed_at.isoformat() if item.confirmed_at else None,
            }
            for item in _subscriptions(user).order_by("organisation__name")
        ],
        "withheld": [],
    }


def erase_user_data(user: User) -> list[str]:
    """Subscriptions are deleted: without the address they serve no purpose."""
    deleted, _ = _subscriptions(user).delete()
    return [f"news: {deleted} subscription(s) deleted"]
