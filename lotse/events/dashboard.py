from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.core.dashboard import DashboardLink

from .selectors import organiser_organisations


def dashboard_links(user: object) -> list[DashboardLink]:
    if not getattr(user, "is_authenticated", False):
        return []
    links = [
        DashboardLink(
            _("My event registrations"),
            reverse("events:mine"),
            _("Trainings and events you registered for, certificates of attendance."),
        ),
        DashboardLink(
            _("Trainings and events"),
            reverse("events:calendar"),
            _("The public calendar of trainings, conferences and network meetings."),
        ),
    ]
    if organiser_organisations(user).exists():  # type: ignore[arg-type]
        links.insert(
            0,
            DashboardLink(
                _("Manage trainings and events"),
                reverse("events:manage_list"),
                _("Programme, registrations, waiting lists, attendance and certificates."),
            ),
        )
    return links
