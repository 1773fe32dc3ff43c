from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.accounts.models import User
from lotse.core.dashboard import DashboardLink
from lotse.directory.selectors import facilities_for_staff


def dashboard_links(user: User) -> list[DashboardLink]:
    if not user.is_authenticated:
        return []
    links = [
        DashboardLink(
            _("My childcare applications"),
            reverse("applications:list"),
            _("Apply once with ranked wishes, see where you stand, answer an offer."),
        )
    ]
    if facilities_for_staff(user).exists():
        links.append(
            DashboardLink(
                _("Our facility: seats and applications"),
                reverse("applications:facility_list"),
                _("Seats per age group and start month, applications naming us, contracts."),
            )
        )
    return links
