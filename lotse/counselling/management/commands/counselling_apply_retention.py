"""Anonymise or erase cases past their retention date, by hand (the scheduler's daily
``core.retention`` job runs this as part of the whole retention policy)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lotse.counselling.services import retention_apply
from lotse.counselling.tasks import case_retention_task


class Command(BaseCommand):
    help = "Anonymise or erase counselling cases whose retention date has passed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the work to the task worker instead of running it here.",
        )

    def handle(self, *args: Any, enqueue: bool = False, **options: Any) -> None:
        if enqueue:
            result = case_retention_task.enqueue()
            self.stdout.write(f"Enqueued retention task {result.id}.")
            return
        self.stdout.write(retention_apply().summary())
