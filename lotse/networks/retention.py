"""Retention job of the networks app (run by ``lotse.core.retention.retention_run``)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef

from lotse.accounts.models import Membership

from .models import CalendarToken, NetworkMember


def retention_job(now: datetime) -> list[str]:
    """Delete calendar feeds of people who are no longer members of the network: the secret
    address would otherwise keep exposing the meeting dates to them."""
    # Members are people with a NetworkMember row or an accounts membership in the network's
    # organisation — the same rule as selectors.network_access.
    member_row = NetworkMember.objects.filter(
        network_id=OuterRef("network_id"), user_id=OuterRef("user_id")
    )
    org_membership = Membership.objects.filter(
        organisation_id=OuterRef("network__organisation_id"), user_id=OuterRef("user_id")
    )
    with transaction.atomic():
        deleted, _ = (
            CalendarToken.objects.exclude(Exists(member_row))
            .exclude(Exists(org_membership))
            .delete()
        )
    return [f"networks: {deleted} calendar feed(s) of former members deleted"]
