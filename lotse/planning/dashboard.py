from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.core.dashboard import DashboardLink

from .selectors import user_may_plan


def dashboard_links(user: object) -> list[DashboardLink]:
    if not getattr(user, "is_authenticated", False) or not user_may_plan(user):  # type: ignore[arg-type]
        return []
    return [
        DashboardLink(
            title=_("Childcare planning"),
            url=reverse("planning:dashboard"),
            description=_(
                "Seats, children, applications and unmet legal claims per district and age "
                "band; forecast, map and reports."
            ),
        )
    ]
