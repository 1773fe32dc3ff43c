"""Remind grant recipients of reports due (Sachbericht, Verwendungsnachweis).

The scheduler runs this daily (``networks.report_reminders`` in ``periodic.py``); the command
runs it by hand. ``--enqueue`` hands the work to the task worker instead. Each reminder stage
is sent once per report.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandParser

from lotse.networks.services_funding import reports_send_reminders
from lotse.networks.tasks import send_report_reminders


class Command(BaseCommand):
    help = "Send e-mail reminders for grant reports due in 30 or 7 days or overdue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, help="Pretend today is this date")
        parser.add_argument(
            "--enqueue", action="store_true", help="Run through the task queue (db_worker)"
        )

    def handle(self, *args: object, today: date | None, enqueue: bool, **options: object) -> None:
        if enqueue:
            result = send_report_reminders.enqueue()
            self.stdout.write(f"Enqueued task {result.id}.")
            return
        sent = reports_send_reminders(today=today)
        self.stdout.write(f"{sent} reminder(s) sent.")
