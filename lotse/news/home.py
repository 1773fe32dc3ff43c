"""The news box of the home page (found by ``lotse.core.views.home``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import latest_posts


def home_section(request: HttpRequest) -> dict[str, Any] | None:
    posts = latest_posts(3)
    if not posts:
        return None
    return {"template": "news/_home_latest.html", "posts": posts}
