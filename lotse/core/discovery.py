"""Find optional per-app modules (``dashboard.py``, ``demo.py``) in Lotse's own apps."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from django.apps import apps


def lotse_app_modules(module_name: str) -> Iterator[ModuleType]:
    for config in apps.get_app_configs():
        if not config.name.startswith("lotse."):
            continue
        dotted = f"{config.name}.{module_name}"
        try:
            yield import_module(dotted)
        except ModuleNotFoundError as exc:
            if exc.name != dotted:
                raise
