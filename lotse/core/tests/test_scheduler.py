"""The one scheduler: every periodic command is registered, slots are claimed once, runs never
overlap, and /readyz tells when the worker or the scheduler has stopped."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import get_commands
from django.db import connection
from django.utils import timezone

from lotse.core.models import Heartbeat, PeriodicJob
from lotse.core.periodic import ONE_OFF_COMMANDS
from lotse.core.scheduler import Job, beat, claim, execute, registry, schedule_due

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def lotse_commands() -> set[str]:
    return {name for name, app in get_commands().items() if app.startswith("lotse.")}


def test_every_command_meant_to_be_periodic_is_registered():
    """A management command is either run by a registered job or declared one-off with a
    reason: nobody has to remember a cron line."""
    covered = {command for job in registry().values() for command in job.covers}
    unregistered = lotse_commands() - covered - set(ONE_OFF_COMMANDS)
    assert not unregistered, (
        f"commands neither covered by a job in some app's periodic.py nor listed in "
        f"ONE_OFF_COMMANDS (lotse/core/periodic.py): {sorted(unregistered)}"
    )
    assert covered <= lotse_commands(), f"jobs cover unknown commands: {covered - lotse_commands()}"
    assert not covered & set(ONE_OFF_COMMANDS)


def test_the_registry_has_the_periodic_work_of_every_app():
    names = set(registry())
    assert {
        "applications.expire_offers",
        "events.expire_offers",
        "events.send_reminders",
        "networks.report_reminders",
        "core.retention",
        "core.backup",
        "planning.refresh_figures",
    } <= names


def test_slots_for_intervals_and_local_times_across_summer_time():
    every5 = Job(name="x", run=lambda: None, every=dt.timedelta(minutes=5))
    assert every5.slot(dt.datetime(2026, 11, 30, 7, 14, 59, tzinfo=UTC)) == dt.datetime(
        2026, 11, 30, 7, 10, tzinfo=UTC
    )
    daily = Job(name="y", run=lambda: None, daily_at=dt.time(2, 30))
    # 02:30 in Berlin is 01:30 UTC in winter; before it, yesterday's slot is the latest
    assert daily.slot(dt.datetime(2026, 11, 30, 1, 29, tzinfo=UTC)) == dt.datetime(
        2026, 11, 29, 1, 30, tzinfo=UTC
    )
    assert daily.slot(dt.datetime(2026, 11, 30, 1, 31, tzinfo=UTC)) == dt.datetime(
        2026, 11, 30, 1, 30, tzinfo=UTC
    )
    # in summer 02:30 Berlin is 00:30 UTC
    assert daily.slot(dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == dt.datetime(
        2026, 7, 1, 0, 30, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="exactly one"):
        Job(name="z", run=lambda: None)


def test_two_schedulers_enqueue_a_slot_once(settings):
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    jobs = list(registry().values())
    now = timezone.now()
    first = schedule_due(jobs, now=now)
    second = schedule_due(jobs, now=now)  # the scheduler started twice by mistake
    assert sorted(first) == sorted(registry()) and second == []
    assert len(default_task_backend.results) == len(jobs)
    # the next slot of the five-minute job is enqueued again, once
    later = schedule_due(jobs, now=now + dt.timedelta(minutes=5))
    assert "applications.expire_offers" in later and "core.backup" not in later


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_schedulers_claim_a_slot_once():
    job = Job(name="concurrency.probe", run=lambda: None, every=dt.timedelta(minutes=5))
    slot = job.slot(timezone.now())
    PeriodicJob.objects.create(name=job.name)
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def contender() -> None:
        try:
            barrier.wait()
            wins.append(claim(job, slot))
        finally:
            connection.close()

    threads = [threading.Thread(target=contender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


@pytest.fixture
def probe(monkeypatch):
    calls: list[str] = []

    def run() -> str:
        calls.append("ran")
        return "did it"

    job = Job(name="test.probe", run=run, every=dt.timedelta(minutes=5))
    monkeypatch.setattr("lotse.core.scheduler.registry", lambda: {job.name: job})
    return job, calls


def test_a_slot_runs_once_and_runs_never_overlap(probe):
    job, calls = probe
    now = timezone.now()
    slot = job.slot(now)
    assert execute(job.name, slot, now=now) == "test.probe: did it (0.0 s)"
    assert "skipped" in execute(job.name, slot, now=now)  # the same slot delivered twice
    assert calls == ["ran"]
    row = PeriodicJob.objects.get(name=job.name)
    assert row.status == PeriodicJob.Status.OK and row.lease_until is None

    # another run still holds the lease: the next slot waits for the next tick
    PeriodicJob.objects.filter(name=job.name).update(lease_until=now + dt.timedelta(minutes=1))
    assert "skipped" in execute(job.name, slot + job.every, now=now)
    # a crashed run's lease expires
    assert "did it" in execute(job.name, slot + job.every, now=now + dt.timedelta(minutes=2))
    assert calls == ["ran", "ran"]


def test_a_failing_job_is_recorded_and_releases_its_lease(monkeypatch):
    def broken() -> None:
        raise RuntimeError("disk full")

    job = Job(name="test.broken", run=broken, every=dt.timedelta(minutes=5))
    monkeypatch.setattr("lotse.core.scheduler.registry", lambda: {job.name: job})
    assert "RuntimeError: disk full" in execute(job.name, job.slot(timezone.now()))
    row = PeriodicJob.objects.get(name=job.name)
    assert row.status == PeriodicJob.Status.FAILED and row.lease_until is None


def test_every_registered_job_runs(settings, tmp_path):
    """Each job of every app runs on an empty database without error (the scheduler calls
    them exactly like this)."""
    settings.LOTSE_BACKUP_DIR = tmp_path
    now = timezone.now()
    for job in registry().values():
        result = execute(job.name, job.slot(now), now=now)
        assert PeriodicJob.objects.get(name=job.name).status == PeriodicJob.Status.OK, result


def test_scheduled_backup_keeps_the_newest(settings, tmp_path):
    from lotse.core.backup import backup_scheduled

    for day in range(1, 5):
        backup_scheduled(directory=tmp_path, keep=2, now=dt.datetime(2026, 11, day, 2, tzinfo=UTC))
    names = sorted(path.name for path in tmp_path.iterdir())
    if connection.vendor == "postgresql":
        assert names == [
            "lotse-20261103-030000-media.tar.gz",
            "lotse-20261103-030000.dump",
            "lotse-20261104-030000-media.tar.gz",
            "lotse-20261104-030000.dump",
        ]
    else:
        assert names == ["lotse-20261103-030000.tar.gz", "lotse-20261104-030000.tar.gz"]


# --- /healthz and /readyz --------------------------------------------------------------------


def test_healthz_answers_even_for_an_unknown_host(client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200 and response.content == b"ok"


def test_readyz_needs_a_recent_worker_and_scheduler(client, settings):
    settings.LOTSE_HEARTBEAT_MAX_AGE = 60
    response = client.get("/readyz", HTTP_HOST="10.0.0.7:8000")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "unavailable"
    assert body["database"]["ok"] and body["cache"]["ok"]
    assert body["worker"] == {"ok": False, "seen": "never", "ms": body["worker"]["ms"]}

    beat(Heartbeat.Role.WORKER)
    beat(Heartbeat.Role.SCHEDULER)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ok"

    # the worker stopped without saying so: unhealthy once its heartbeat is too old
    Heartbeat.objects.filter(role=Heartbeat.Role.WORKER).update(
        seen_at=timezone.now() - dt.timedelta(seconds=61)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"]["ok"] is False and response.json()["scheduler"]["ok"]


def test_readyz_reports_a_broken_cache_without_details(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis://secret-host:6379 refused")

    beat(Heartbeat.Role.WORKER)
    beat(Heartbeat.Role.SCHEDULER)
    monkeypatch.setattr("lotse.core.health.cache.set", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["cache"]["error"] == "ConnectionError"
    assert b"secret-host" not in response.content
