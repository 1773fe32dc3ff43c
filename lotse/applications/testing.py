"""Helpers for browser tests of other apps (imported by tests only)."""

from __future__ import annotations

from typing import Any


def pick_facility(page: Any, field: str, facility: Any) -> None:
    """Choose ``facility`` for the wish ``field`` (e.g. ``wish_1``) the way a person does with
    the facility picker: type its name into the wish's search field, click the match."""
    page.locator(f"#id_{field}_search").fill(facility.name)
    page.locator(f'#id_{field}_results [data-value="{facility.pk}"]').click()
    chosen = page.locator(f"select[name={field}]").input_value()
    assert chosen == str(facility.pk), f"{field}: picked {chosen}, wanted {facility.pk}"
