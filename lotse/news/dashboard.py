from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from lotse.core.dashboard import DashboardLink

from .selectors import editor_organisations, latest_posts


def dashboard_links(user: object) -> list[DashboardLink]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not editor_organisations(user).exists():  # type: ignore[arg-type]
        return []
    return [
        DashboardLink(
            _("News: write and publish"),
            reverse("news:manage"),
            _("Posts of your organisation: drafts, translations, files, scheduled publishing."),
        )
    ]


def home_context() -> dict[str, Any]:
    """The latest three posts for the public home page (``news/_home_latest.html``)."""
    return {"news_latest": latest_posts(3)}
