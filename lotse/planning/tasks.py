"""Background tasks of planning (django.tasks; the database worker runs them)."""

from __future__ import annotations

from django.tasks import task

from .services import figures_refresh


@task()
def refresh_figures_task(municipality: str) -> list[int]:
    """Recompute the municipality's planning figures (see ``services.figures_refresh``)."""
    return [snapshot.year for snapshot in figures_refresh(municipality=municipality)]
