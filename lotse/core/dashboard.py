"""The signed-in start page collects links from every app.

Each app may provide a ``dashboard.py`` with ``def dashboard_links(user) -> list[DashboardLink]``;
the core never needs editing when an app adds a page for a role.
"""

from __future__ import annotations

from dataclasses import dataclass

from .discovery import lotse_app_modules


@dataclass(frozen=True)
class DashboardLink:
    title: str
    url: str
    description: str = ""


def dashboard_links_for(user: object) -> list[DashboardLink]:
    links: list[DashboardLink] = []
    for module in lotse_app_modules("dashboard"):
        # The core's own dashboard.py (this module) is found too; it has no links.
        if module.__name__ != __name__:
            links.extend(module.dashboard_links(user))
    return links
