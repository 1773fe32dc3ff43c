"""One scheduler for every periodic job, from one registry.

Each Lotse app that has periodic work lists it in its own ``periodic.py`` as ``JOBS`` (found like
``dashboard.py``): what to call, how often (``every``) or at which local time (``daily_at``), and
which management commands do the same by hand (``covers``; a test fails when a command that is
meant to run periodically is in no job). No cron line is needed: ``manage.py scheduler`` runs in
its own process and hands each due job to the task worker.

Safety when two schedulers run by mistake, or a run is slow, or a task is delivered twice:

- **scheduling** moves ``PeriodicJob.claimed_slot`` forward with one conditional UPDATE; only one
  scheduler can win a slot, and only the winner enqueues (in the same transaction);
- **running** takes a lease (``lease_until``) with one conditional UPDATE; a second run of the
  same job while the first still holds its lease does nothing; a crashed run's lease expires;
- **a slot runs once**: ``ran_slot`` only moves forward, a late duplicate of an older slot is
  skipped. The jobs themselves are idempotent as well (they act on what is due, row by row).

Only the latest slot of a job is run: after a downtime a job runs once, not once per missed slot.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from .discovery import lotse_app_modules
from .models import Heartbeat, PeriodicJob

logger = logging.getLogger("lotse.scheduler")
EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday: weekly slots start on Mondays


@dataclass(frozen=True)
class Job:
    """A periodic job. ``run`` takes no arguments and returns a short summary (str, number or
    lines); it must be idempotent: act on what is due now, never on "since the last run"."""

    name: str
    run: Callable[[], object]
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None
    covers: tuple[str, ...] = ()
    lease: dt.timedelta = dt.timedelta(minutes=30)
    description: str = ""

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.name}: give exactly one of every= or daily_at=")
        if self.every is not None and self.every < dt.timedelta(minutes=1):
            raise ValueError(f"job {self.name}: run at most once a minute")

    def slot(self, now: dt.datetime) -> dt.datetime:
        """The latest moment at or before ``now`` when the job was due."""
        if self.every is not None:
            return EPOCH + ((now - EPOCH) // self.every) * self.every
        assert self.daily_at is not None
        zone = ZoneInfo(settings.TIME_ZONE)
        local = now.astimezone(zone)
        due = dt.datetime.combine(local.date(), self.daily_at, tzinfo=zone)
        if due > local:
            due = dt.datetime.combine(local.date() - dt.timedelta(days=1), self.daily_at, zone)
        return due.astimezone(dt.UTC)

    @property
    def schedule(self) -> str:
        if self.every is not None:
            minutes = int(self.every.total_seconds() // 60)
            return f"every {minutes} min" if minutes < 60 else f"every {minutes // 60} h"
        assert self.daily_at is not None
        return f"daily at {self.daily_at:%H:%M}"


def registry() -> dict[str, Job]:
    """Every app's jobs by name (``JOBS`` in ``lotse/<app>/periodic.py``)."""
    jobs: dict[str, Job] = {}
    for module in lotse_app_modules("periodic"):
        for job in getattr(module, "JOBS", []):
            if job.name in jobs:
                raise ValueError(f"two periodic jobs are named {job.name}")
            jobs[job.name] = job
    return jobs


# --- Scheduling (the scheduler process) -----------------------------------------------------


def claim(job: Job, slot: dt.datetime) -> bool:
    """Move the job's ``claimed_slot`` to ``slot``; True for exactly one caller per slot."""
    PeriodicJob.objects.get_or_create(name=job.name)
    return bool(
        PeriodicJob.objects.filter(name=job.name)
        .filter(Q(claimed_slot__isnull=True) | Q(claimed_slot__lt=slot))
        .update(claimed_slot=slot)
    )


def schedule_due(jobs: Iterable[Job], now: dt.datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot no scheduler has claimed yet; returns their names."""
    from .tasks import run_periodic_job

    now = now or timezone.now()
    enqueued = []
    for job in jobs:
        slot = job.slot(now)
        with transaction.atomic():
            # Claim and enqueue commit together: a claimed slot always has its task.
            if claim(job, slot):
                run_periodic_job.enqueue(job.name, slot.isoformat())
                enqueued.append(job.name)
    return enqueued


# --- Running (the task worker) --------------------------------------------------------------


def execute(name: str, slot: dt.datetime, now: dt.datetime | None = None) -> str:
    """Run one slot of a job under its lease; returns what happened (also stored on the row)."""
    job = registry().get(name)
    if job is None:
        return f"{name}: no such job (removed?)"
    now = now or timezone.now()
    PeriodicJob.objects.get_or_create(name=name)
    acquired = (
        PeriodicJob.objects.filter(name=name)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(ran_slot__isnull=True) | Q(ran_slot__lt=slot))
        .update(
            lease_until=now + job.lease,
            ran_slot=slot,
            status=PeriodicJob.Status.RUNNING,
            started_at=now,
        )
    )
    if not acquired:
        return f"{name}: skipped (this slot ran already or another run holds the job)"
    started = time.monotonic()
    try:
        outcome = summarise(job.run())
        status = PeriodicJob.Status.OK
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker
        logger.exception("periodic job %s failed", name)
        outcome, status = f"{type(exc).__name__}: {exc}", PeriodicJob.Status.FAILED
    message = f"{outcome} ({time.monotonic() - started:.1f} s)"
    PeriodicJob.objects.filter(name=name).update(
        lease_until=None, status=status, finished_at=timezone.now(), message=message[:2000]
    )
    return f"{name}: {message}"


def summarise(result: object) -> str:
    if isinstance(result, list | tuple):
        return "; ".join(str(line) for line in result)
    return "" if result is None else str(result)


# --- Heartbeats -----------------------------------------------------------------------------


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(role: str, instance: str | None = None) -> None:
    Heartbeat.objects.update_or_create(
        role=role, instance=instance or instance_name(), defaults={"seen_at": timezone.now()}
    )


def forget(role: str, instance: str | None = None) -> None:
    """A process that stops cleanly says so at once (``/readyz`` need not wait for the age)."""
    Heartbeat.objects.filter(role=role, instance=instance or instance_name()).delete()


def run_scheduler(*, tick: float = 10.0, stop: threading.Event | None = None) -> None:
    """The scheduler's loop: heartbeat, enqueue what is due, wait ``tick`` seconds (or until
    ``stop`` is set)."""
    stop = stop or threading.Event()
    jobs = list(registry().values())
    logger.warning("scheduler %s started with %d jobs", instance_name(), len(jobs))
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                beat(Heartbeat.Role.SCHEDULER)
                for name in schedule_due(jobs):
                    logger.info("enqueued %s", name)
            except Exception:  # noqa: BLE001 - e.g. the database restarts: try again next tick
                logger.exception("scheduler tick failed")
            stop.wait(tick)
    finally:
        close_old_connections()
        try:
            forget(Heartbeat.Role.SCHEDULER)
        except Exception:  # noqa: BLE001 - the database may be gone; the age check then holds
            logger.warning("could not remove the scheduler's heartbeat")
