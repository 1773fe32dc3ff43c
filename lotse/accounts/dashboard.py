from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.core.dashboard import DashboardLink

from .models import User
from .selectors import memberships_of, user_roles


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


def dashboard_context(user: User) -> dict[str, Any]:
    """The user's organisations and roles, shown at the top of the start page."""
    return {"memberships": memberships_of(user), "roles": user_roles(user)}
