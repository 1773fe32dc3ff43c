"""Periodic jobs of the applications app (run by the scheduler, see ``lotse/core/scheduler.py``)."""

from __future__ import annotations

import datetime as dt

from lotse.core.scheduler import Job

from .services import offers_expire_due

JOBS = [
    Job(
        name="applications.expire_offers",
        run=offers_expire_due,
        every=dt.timedelta(minutes=5),
        covers=("expire_offers",),
        description="Expire open offers past their answer deadline; their seats move on.",
    ),
]
