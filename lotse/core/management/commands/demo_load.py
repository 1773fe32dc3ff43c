from django.core.management.base import BaseCommand, CommandParser

from lotse.core.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo city (Flensburg's real facilities and districts, organisations, one user "
        "per role and each app's demo data). Safe to run again: it updates instead of duplicating."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        for line in load_demo():
            if not options["quiet"]:
                self.stdout.write(line)
