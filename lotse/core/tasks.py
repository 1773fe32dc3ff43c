"""Background tasks of the core (django.tasks)."""

from __future__ import annotations

from django.tasks import task

from .retention import retention_run


@task()
def retention_run_task() -> str:
    """Apply the data-retention policy (every app's job plus housekeeping); scheduled daily."""
    return "\n".join(retention_run())


# High priority: after a round is published thousands of mails wait in the queue; expiring
# offers and the other periodic jobs must not wait behind them.
@task(priority=50)
def run_periodic_job(name: str, slot: str) -> str:
    """Run one slot of a periodic job (enqueued by ``manage.py scheduler``)."""
    import datetime as dt

    from .scheduler import execute

    return execute(name, dt.datetime.fromisoformat(slot))
