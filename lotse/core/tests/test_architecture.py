"""The layer arrows of docs/architecture.md hold: import-linter's contracts (pyproject.toml)."""

from __future__ import annotations

from django.conf import settings
from importlinter.cli import lint_imports


def test_apps_import_only_the_layers_below_them():
    # 0 = every contract kept; the output names each broken import chain.
    assert (
        lint_imports(config_filename=str(settings.BASE_DIR / "pyproject.toml"), no_cache=True) == 0
    )
