from django.core.management.base import BaseCommand

from lotse.events.services import registration_offers_expire, registration_optins_expire


class Command(BaseCommand):
    help = (
        "Pass waiting-list offers that were not accepted in time on to the next person, and "
        "close registrations whose e-mail address was never confirmed. Run every 15 minutes."
    )

    def handle(self, *args: object, **options: object) -> None:
        offers = registration_offers_expire()
        optins = registration_optins_expire()
        self.stdout.write(f"{offers} offers expired, {optins} unconfirmed registrations closed")
