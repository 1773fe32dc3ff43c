"""Background jobs of the networks app (``django.tasks``)."""

from __future__ import annotations

from django.tasks import task

from .services_funding import reports_send_reminders


@task()
def send_report_reminders() -> int:
    """Daily job: remind recipients of reports due (see ``networks_send_reminders``)."""
    return reports_send_reminders()
