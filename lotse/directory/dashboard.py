"""The directory's part of the public home page: how many facilities, districts and places."""

from __future__ import annotations

from typing import Any

from .selectors import directory_overview


def home_context() -> dict[str, Any]:
    return {"overview": directory_overview()}
