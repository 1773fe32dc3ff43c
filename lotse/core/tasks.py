"""Background tasks of the core (django.tasks)."""

from __future__ import annotations

from django.tasks import task

from .retention import apply_retention


@task()
def apply_retention_task() -> str:
    """Apply the data-retention policy (every app's job plus housekeeping); scheduled daily."""
    return "\n".join(apply_retention())
