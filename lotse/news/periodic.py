"""Periodic jobs of the news app (run by the scheduler, see ``lotse/core/scheduler.py``)."""

from __future__ import annotations

import datetime as dt

from lotse.core.scheduler import Job

from .services import mailings_send_due


def send_due_mailings() -> str:
    return f"{mailings_send_due()} news mailing(s) continued"


JOBS = [
    Job(
        name="news.send_due_mailings",
        run=send_due_mailings,
        every=dt.timedelta(minutes=10),
        description=(
            "Send published posts to their subscribers when a queued mailing did not run "
            "(scheduled posts on a task backend without deferral, a worker that was down)."
        ),
    ),
]
