from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.core.dashboard import DashboardLink

from .selectors import can_edit


def dashboard_links(user: object) -> list[DashboardLink]:
    if not can_edit(user):  # type: ignore[arg-type]
        return []
    return [
        DashboardLink(
            _("Information pages"),
            reverse("infopages:manage"),
            _("Legal claim, costs, allocation, FAQ, Impressum, accessibility: edit and publish."),
        )
    ]
