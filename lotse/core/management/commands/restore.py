from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lotse.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made with 'backup' into an empty database (migrates it first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: object, **options: object) -> None:
        try:
            counts = backup_restore(Path(str(options["file"])))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored {sum(counts.values())} rows in {len(counts)} tables")
