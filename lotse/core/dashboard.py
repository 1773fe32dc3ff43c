"""The start pages collect what every app contributes; the core never imports an app.

Each app may provide a ``dashboard.py`` with any of:

- ``dashboard_links(user) -> list[DashboardLink]``: links on the signed-in start page;
- ``dashboard_context(user) -> dict``: extra context for that page (e.g. the memberships);
- ``home_context() -> dict``: extra context for the public home page (e.g. directory figures).

The core finds these modules by name (``discovery.py``), so an app adding a page for a role
never edits the core, and the ground floor depends on nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .discovery import lotse_app_modules


@dataclass(frozen=True)
class DashboardLink:
    title: str
    url: str
    description: str = ""


def _contributions(name: str) -> Iterator[Callable[..., Any]]:
    for module in lotse_app_modules("dashboard"):
        # The core's own dashboard.py (this module) is found too; it contributes nothing.
        function = getattr(module, name, None) if module.__name__ != __name__ else None
        if function is not None:
            yield function


def dashboard_links_for(user: object) -> list[DashboardLink]:
    links: list[DashboardLink] = []
    for contribute in _contributions("dashboard_links"):
        links.extend(contribute(user))
    return links


def dashboard_context_for(user: object) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for contribute in _contributions("dashboard_context"):
        context.update(contribute(user))
    return context


def home_context() -> dict[str, Any]:
    context: dict[str, Any] = {}
    for contribute in _contributions("home_context"):
        context.update(contribute())
    return context
