"""Periodic jobs of the events app (run by the scheduler, see ``lotse/core/scheduler.py``)."""

from __future__ import annotations

import datetime as dt

from lotse.core.scheduler import Job

from .services import (
    registration_offers_expire,
    registration_optins_expire,
    registration_reminders_send,
)


def expire_offers_and_optins() -> str:
    offers, optins = registration_offers_expire(), registration_optins_expire()
    return f"{offers} offers expired, {optins} unconfirmed registrations closed"


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
        run=registration_reminders_send,
        every=dt.timedelta(hours=1),
        covers=("events_send_reminders",),
        description="Remind confirmed participants before their event (once each).",
    ),
]
