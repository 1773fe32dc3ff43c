from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lotse.accounts.mfa import totp_current_code
from lotse.accounts.models import User


class Command(BaseCommand):
    help = "Print the current two-factor code of a DEMO user (refuses outside DEBUG)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Only available in demo/development installations (DEBUG).")
        user = User.objects.filter(email=str(options["email"]).lower()).first()
        if user is None or not user.email.endswith("@lotse.example"):
            raise CommandError("Not a demo user.")
        self.stdout.write(totp_current_code(user))
