"""Writes for planning: importing population and births tables."""

from __future__ import annotations

from pathlib import Path

from auditlog.context import set_actor

from lotse.accounts.models import User
from lotse.directory.importer import ImportReport

from .importer import load_mapping, mapping_path, run_import


def population_import(*, actor: User | None, path: Path | str, mapping: str) -> ImportReport:
    """Import a population or births table with a mapping (a path or a shipped mapping's name).

    Each source row is its own transaction (the directory importer's rule): a bad row is
    reported with its line and loses nothing else. Changes are audited with ``actor``.
    Raises ``MappingError`` when the mapping itself is unusable; nothing is imported then.
    """
    loaded = load_mapping(mapping_path(mapping))
    with set_actor(actor):
        return run_import(path, loaded)
