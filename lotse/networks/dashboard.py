"""Links on /dashboard/ for network members, applicants and funders."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.core.dashboard import DashboardLink

from .selectors import applicant_organisations, funder_organisations, networks_for_member


def dashboard_links(user: object) -> list[DashboardLink]:
    if not getattr(user, "is_authenticated", False):
        return []
    links: list[DashboardLink] = []
    for network in networks_for_member(user)[:5]:  # type: ignore[arg-type]
        links.append(
            DashboardLink(
                network.name,
                reverse("networks:detail", args=[network.pk]),
                _("Meetings, tasks and documents of your network."),
            )
        )
    if applicant_organisations(user).exists():  # type: ignore[arg-type]
        links.append(
            DashboardLink(
                _("Applications for funding"),
                reverse("networks:applications"),
                _("Apply to programme calls and follow your applications."),
            )
        )
        links.append(
            DashboardLink(
                _("Funding and reports"),
                reverse("networks:grants"),
                _("Grants, reports due and reminders."),
            )
        )
        links.append(
            DashboardLink(
                _("Needs analyses"),
                reverse("networks:needs_list"),
                _("Offers, gaps, target groups and partners — as a PDF report."),
            )
        )
    if funder_organisations(user).exists():  # type: ignore[arg-type]
        links.append(
            DashboardLink(
                _("Programme calls"),
                reverse("networks:calls"),
                _("Publish calls, review applications and decide."),
            )
        )
        links.append(
            DashboardLink(
                _("Grants given"),
                reverse("networks:grants"),
                _("Funding records of the grants from your organisation."),
            )
        )
    return links
