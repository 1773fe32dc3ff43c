from django.core.management.base import BaseCommand

from lotse.events.services import registration_reminders_send


class Command(BaseCommand):
    help = "Remind confirmed participants N days before their event (once each). Run hourly."

    def handle(self, *args: object, **options: object) -> None:
        sent = registration_reminders_send()
        self.stdout.write(f"{sent} reminders sent")
