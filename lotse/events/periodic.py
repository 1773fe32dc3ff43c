"""Periodic jobs of the events app (run by the scheduler, see ``lotse/core/scheduler.py``)."""

from __future__ import annotations

import datetime as dt

from lotse.core.scheduler import Job

from .services import offers_expire, optins_expire, reminders_send


def expire_offers_and_optins() -> str:
    return f"{offers_expire()} offers expired, {optins_expire()} unconfirmed registrations closed"


JOBS = [
    Job(
        name="events.expire_offers",
        run=expire_offers_and_optins,
        every=dt.timedelta(minutes=15),
        covers=("events_expire_offers",),
        description="Pass unanswered waiting-list offers on; close unconfirmed registrations.",
    ),
    Job(
        name="events.send_reminders",
        run=reminders_send,
        every=dt.timedelta(hours=1),
        covers=("events_send_reminders",),
        description="Remind confirmed participants before their event (once each).",
    ),
]
