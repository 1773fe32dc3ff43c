from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lotse.directory.importer import MappingError, load_mapping, run_import

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"


class Command(BaseCommand):
    help = (
        "Import facilities or districts from CSV, GeoJSON or JSON using a mapping file. "
        "Re-importing updates existing rows; bad rows are reported and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the data file")
        parser.add_argument(
            "--mapping",
            required=True,
            help=f"mapping file, or the name of a shipped one in {MAPPINGS_DIR}",
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="import only records whose (dotted) field equals VALUE; repeatable",
        )
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args: object, **options: object) -> None:
        mapping_arg = str(options["mapping"])
        mapping_path = Path(mapping_arg)
        if not mapping_path.exists():
            mapping_path = MAPPINGS_DIR / f"{mapping_arg.removesuffix('.json')}.json"
        try:
            mapping = load_mapping(mapping_path)
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        filters = {}
        for item in options["only"]:  # type: ignore[union-attr]
            key, sep, value = str(item).partition("=")
            if not sep:
                raise CommandError(f"--only needs FIELD=VALUE, got '{item}'")
            filters[key] = value
        data_file = Path(str(options["file"]))
        if not data_file.exists():
            raise CommandError(f"file not found: {data_file}")
        report = run_import(data_file, mapping, filters=filters, limit=options["limit"])
        for line, reason in report.errors:
            self.stderr.write(f"{data_file.name}:{line}: {reason}")
        for line, reason in report.flagged:
            self.stderr.write(f"{data_file.name}:{line}: check: {reason}")
        self.stdout.write(f"{data_file.name}: {report.summary()}")
