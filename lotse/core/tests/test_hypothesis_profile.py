"""Hypothesis keeps its examples so that a failure replays (conftest.py registers the
profiles; Hypothesis' built-in CI profile would drop the database and fix the examples)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

from conftest import EXAMPLES, IN_CI


def test_failures_are_kept_and_replayed():
    current = settings.default
    assert isinstance(current.database, DirectoryBasedExampleDatabase)
    assert current.database == EXAMPLES
    assert not current.derandomize  # each run may find something new
    if IN_CI:
        assert current.max_examples >= 300
