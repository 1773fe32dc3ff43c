from django.core.management.base import BaseCommand

from lotse.events.services import offers_expire, optins_expire


class Command(BaseCommand):
    help = (
        "Pass waiting-list offers that were not accepted in time on to the next person, and "
        "close registrations whose e-mail address was never confirmed. Run every 15 minutes."
    )

    def handle(self, *args: object, **options: object) -> None:
        offers = offers_expire()
        optins = optins_expire()
        self.stdout.write(f"{offers} offers expired, {optins} unconfirmed registrations closed")
