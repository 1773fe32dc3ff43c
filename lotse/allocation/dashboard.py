from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.accounts.models import User
from lotse.core.dashboard import DashboardLink

from .selectors import jugendamt_organisations


def dashboard_links(user: User) -> list[DashboardLink]:
    if not user.is_authenticated or not jugendamt_organisations(user).exists():
        return []
    return [
        DashboardLink(
            _("Allocation rounds"),
            reverse("allocation:index"),
            _("Rules, snapshot, simulation, publishing offers and re-runs."),
        ),
        DashboardLink(
            _("Applications of the municipality"),
            reverse("allocation:applications"),
            _("Find any application: offers, reasons, waiting lists per facility; social urgency."),
        ),
    ]
