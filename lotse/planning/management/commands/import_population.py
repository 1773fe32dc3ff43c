from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lotse.directory.importer import MappingError
from lotse.planning.importer import shipped_mappings
from lotse.planning.services import population_import


class Command(BaseCommand):
    help = (
        "Import residents per district, year and age group, or births per district and year, "
        "from a CSV table using a mapping file. Re-importing updates the figures; bad rows are "
        "reported and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV table")
        parser.add_argument(
            "--mapping",
            required=True,
            help="mapping file, or the name of a shipped one: " + ", ".join(shipped_mappings()),
        )

    def handle(self, *args: object, **options: object) -> None:
        data_file = Path(str(options["file"]))
        if not data_file.exists():
            raise CommandError(f"file not found: {data_file}")
        try:
            report = population_import(actor=None, path=data_file, mapping=str(options["mapping"]))
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        for line, reason in report.errors:
            self.stderr.write(f"{data_file.name}:{line}: {reason}")
        self.stdout.write(f"{data_file.name}: {report.summary()}")
