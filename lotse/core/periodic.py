"""Periodic jobs of the core (run by the scheduler, see ``lotse/core/scheduler.py``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .backup import backup_scheduled
from .models import Heartbeat
from .retention import retention_run
from .scheduler import Job


def forget_stale_heartbeats() -> str:
    """Processes that died without saying so (a day old) no longer clutter the status."""
    deleted, _ = Heartbeat.objects.filter(
        seen_at__lt=timezone.now() - dt.timedelta(days=1)
    ).delete()
    return f"{deleted} stale heartbeat(s) removed"


JOBS = [
    Job(
        name="core.retention",
        run=retention_run,
        daily_at=dt.time(3, 0),
        lease=dt.timedelta(hours=2),
        # counselling's own retention is one of the app jobs retention_run runs
        covers=("apply_retention", "counselling_apply_retention"),
        description="Delete or anonymise data past its retention period (every app's job).",
    ),
    Job(
        name="core.backup",
        run=backup_scheduled,
        daily_at=dt.time(2, 0),
        lease=dt.timedelta(hours=3),
        covers=("backup",),
        description="Back up the database and uploaded files; keep the newest LOTSE_BACKUP_KEEP.",
    ),
    Job(
        name="core.forget_stale_heartbeats",
        run=forget_stale_heartbeats,
        every=dt.timedelta(hours=1),
        description="Remove heartbeats of processes not seen for a day.",
    ),
]

#: Lotse's management commands that are NOT periodic, with the reason. Every other command must
#: be covered by a job (``Job.covers``): ``core/tests/test_scheduler.py`` fails otherwise, so a
#: job that needs a hand-written cron line cannot be forgotten.
ONE_OFF_COMMANDS = {
    "scheduler": "the scheduler itself",
    "worker": "the task worker itself",
    "restore": "restores a backup into an empty database, by hand",
    "demo_load": "loads the demo city (development and demo installations)",
    "demo_totp": "prints a demo user's current code (development only)",
    "import_directory": "imports a facility or district file when the municipality has one",
    "import_population": "imports a population table when the statistics office sends one",
}
