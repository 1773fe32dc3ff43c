from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from lotse.core.backup import backup_create


class Command(BaseCommand):
    help = "Back up the database and uploaded files into one .tar.gz (SQLite and PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        default = f"backups/lotse-{timezone.now():%Y%m%d-%H%M%S}.tar.gz"
        parser.add_argument("--output", default=default)

    def handle(self, *args: object, **options: object) -> None:
        target = Path(str(options["output"]))
        counts = backup_create(target)
        self.stdout.write(f"{target}: {sum(counts.values())} rows in {len(counts)} tables")
