"""Demo data for ``make run``: a realistic Flensburg.

Every app's ``demo.py`` (``def load(context: DemoContext) -> list[str]``) adds its own data, in
INSTALLED_APPS order: the directory first lays the base (open data, organisations, people), the
apps above build on it through the shared :class:`DemoContext`. Everything is idempotent so
``make run`` can run it every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .discovery import lotse_app_modules

if TYPE_CHECKING:  # types only: the core imports no app above it at run time
    from lotse.accounts.models import Organisation, User


@dataclass
class DemoContext:
    """What the apps' demo loaders share: organisations by slug, users by mailbox name."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


def load_demo() -> list[str]:
    ctx = DemoContext()
    lines: list[str] = []
    for module in lotse_app_modules("demo"):
        if module.__name__ != __name__:
            lines.extend(module.load(ctx))
    return lines
