"""Background tasks of the counselling app (django.tasks)."""

from __future__ import annotations

from django.tasks import task

from .services import retention_apply


@task()
def case_retention_task() -> str:
    """Anonymise or erase counselling cases past their retention date (scheduled daily)."""
    return retention_apply().summary()
