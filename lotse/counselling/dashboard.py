from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.accounts.models import User
from lotse.core.dashboard import DashboardLink

from .selectors import (
    REFERRAL_INBOX_ROLES,
    advisor_organisations_for_user,
    counselling_services_for_user,
    facility_organisations_for_user,
)


def dashboard_links(user: User) -> list[DashboardLink]:
    if not user.is_authenticated:
        return []
    links: list[DashboardLink] = []
    if counselling_services_for_user(user).exists():
        links += [
            DashboardLink(
                _("Counselling cases"),
                reverse("counselling:cases"),
                _("Your service's cases, contacts, consents, referrals and follow-up tasks."),
            ),
            DashboardLink(
                _("Requests from families"),
                reverse("counselling:intake"),
                _("Families who asked for help from their status page in Lotse."),
            ),
            DashboardLink(
                _("Statistics for funders"),
                reverse("counselling:report"),
                _("Anonymous counts per quarter and year as HTML, CSV and PDF."),
            ),
        ]
    if (
        advisor_organisations_for_user(user).exists()
        or facility_organisations_for_user(user).exists()
    ):
        links.append(
            DashboardLink(
                _("Fachberatung"),
                reverse("counselling:consultations"),
                _("Consultations for facilities and parent initiatives, with documents."),
            )
        )
    if user.memberships.filter(role__in=[str(r) for r in REFERRAL_INBOX_ROLES]).exists():
        links.append(
            DashboardLink(
                _("Referrals received"),
                reverse("counselling:incoming_referrals"),
                _("Families that counselling services referred to you, with their consent."),
            )
        )
    return links
