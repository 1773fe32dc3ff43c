"""The one scheduler process: ``manage.py scheduler`` (systemd unit ``lotse-scheduler``)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lotse.core.scheduler import execute, registry, run_scheduler, schedule_due


class Command(BaseCommand):
    help = (
        "Run every periodic job of every app when it is due (hands them to the task worker). "
        "Run exactly one; a second one by mistake does no harm."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="List the jobs and exit.")
        parser.add_argument(
            "--once", action="store_true", help="Enqueue what is due now, then exit."
        )
        parser.add_argument("--run", metavar="JOB", help="Run one job here and now, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = registry()
        if options["list"]:
            for job in jobs.values():
                self.stdout.write(f"{job.name:34} {job.schedule:18} {job.description}")
            return
        if options["run"]:
            if options["run"] not in jobs:
                raise CommandError(f"no such job; known: {', '.join(jobs)}")
            self.stdout.write(execute(options["run"], timezone.now()))
            return
        if options["once"]:
            for name in schedule_due(jobs.values()):
                self.stdout.write(f"enqueued {name}")
            return
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
        signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
        run_scheduler(tick=settings.LOTSE_SCHEDULER_TICK, stop=stopping)
