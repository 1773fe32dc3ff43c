"""Periodic jobs of the networks app (run by the scheduler, see ``lotse/core/scheduler.py``)."""

from __future__ import annotations

import datetime as dt

from lotse.core.scheduler import Job

from .services_funding import reports_send_reminders

JOBS = [
    Job(
        name="networks.report_reminders",
        run=reports_send_reminders,
        daily_at=dt.time(7, 0),
        covers=("networks_send_reminders",),
        description="Remind grant recipients of reports due in 30 or 7 days or overdue.",
    ),
]
