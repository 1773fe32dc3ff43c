"""Background tasks of the applications app (django.tasks; the database worker runs them)."""

from __future__ import annotations

from django.tasks import task

from .services import offers_expire_due


@task()
def expire_offers_task() -> int:
    """Same as ``manage.py expire_offers``: expire open offers past their deadline."""
    return offers_expire_due()
