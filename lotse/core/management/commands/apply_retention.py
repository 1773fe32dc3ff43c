"""Apply the data-retention policy by hand (the scheduler runs it daily as ``core.retention``;
see docs/privacy.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lotse.core.retention import retention_run
from lotse.core.tasks import retention_run_task


class Command(BaseCommand):
    help = (
        "Delete or anonymise data whose retention period has passed (every app's job), clear "
        "expired sessions, old login attempts and finished task results."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the work to the task worker instead of running it here.",
        )
        parser.add_argument(
            "--now",
            help="Reference time in ISO 8601 (default: now), e.g. to re-run a missed day.",
        )

    def handle(self, *args: Any, enqueue: bool = False, now: str | None = None, **options: Any):
        if enqueue:
            result = retention_run_task.enqueue()
            self.stdout.write(f"Enqueued retention task {result.id}.")
            return
        reference = None
        if now:
            try:
                reference = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from None
            if timezone.is_naive(reference):
                reference = timezone.make_aware(reference)
        for line in retention_run(reference):
            self.stdout.write(line)
