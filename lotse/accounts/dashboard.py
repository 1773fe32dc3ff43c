from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.core.dashboard import DashboardLink

from .models import User


def dashboard_links(user: User) -> list[DashboardLink]:
    if not user.is_authenticated:
        return []
    return [
        DashboardLink(
            _("My data"),
            reverse("accounts:data"),
            _("See what Lotse stores about you, download it, or have it erased."),
        )
    ]
