"""Import population and births tables (CSV, one row per district) driven by a mapping file.

Statistics offices publish "wide" tables: one row per district, one column per age group or
year. A planning mapping (JSON, see ``docs/planning.md``) names the district column and, for each
value column, the year and age group it holds::

    {"source": "…", "format": "csv", "target": "population" | "births",
     "municipality": "Flensburg",
     "district": {"from": "stadtteil", "transform": ["district_name"], "required": true},
     "values": [{"from": "0_bis_unter_7", "year": 2021, "age_from": 0, "age_to": 7}, …]}

Reading, transforms, ``RowError`` and the report are the directory importer's; a bad row is
reported with its line and reason and does not stop the import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from lotse.directory.importer import (
    TRANSFORMS,
    ImportReport,
    MappingError,
    RowError,
    convert,
    is_missing,
    normalise_district_name,
    pick,
    read_records,
    t_int,
)
from lotse.directory.models import District

from .models import BirthCount, PopulationCount

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
TARGETS = {"population", "births"}
MAX_AGE = 120


@dataclass(frozen=True)
class ValueColumn:
    column: str
    year: int
    age_from: int | None = None
    age_to: int | None = None


def mapping_path(name_or_path: str) -> Path:
    """A mapping file given by path, or the name of one shipped in ``mappings/``."""
    path = Path(name_or_path)
    if path.exists():
        return path
    return MAPPINGS_DIR / f"{name_or_path.removesuffix('.json')}.json"


def shipped_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.json"))


def load_mapping(path: Path | str) -> dict[str, Any]:
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from exc
    for key in ("source", "format", "target", "municipality", "district", "values"):
        if key not in mapping:
            raise MappingError(f"mapping {path} lacks '{key}'")
    if mapping["format"] != "csv":
        raise MappingError(f"unknown format '{mapping['format']}' (population tables are csv)")
    if mapping["target"] not in TARGETS:
        raise MappingError(f"unknown target '{mapping['target']}' (population or births)")
    for name in mapping["district"].get("transform", []):
        if name not in TRANSFORMS:
            raise MappingError(f"district: unknown transform '{name}'")
    mapping["_columns"] = [_value_column(spec, mapping["target"]) for spec in mapping["values"]]
    return mapping


def _value_column(spec: dict[str, Any], target: str) -> ValueColumn:
    try:
        column = ValueColumn(
            column=str(spec["from"]),
            year=int(spec["year"]),
            age_from=int(spec["age_from"]) if target == "population" else None,
            age_to=int(spec["age_to"]) if target == "population" else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MappingError(f"value column {spec!r}: needs from, year (and ages): {exc}") from exc
    if column.age_from is not None and not (0 <= column.age_from < column.age_to <= MAX_AGE):
        raise MappingError(f"value column '{column.column}': ages must satisfy 0 ≤ from < to ≤ 120")
    return column


def _district(
    record: dict[str, Any], mapping: dict[str, Any], cache: dict[str, District]
) -> District:
    # The directory's convert() applies the transforms and names the column in its errors.
    name = convert(record, {"fields": {"name": mapping["district"]}})["name"]
    key = normalise_district_name(name)
    if key not in cache:
        municipality = mapping["municipality"]
        district = District.objects.filter(municipality=municipality, name=key).first()
        if district is None:
            if not mapping.get("create_districts"):
                raise RowError(f"unknown district '{key}' in {municipality}")
            district = District.objects.create(municipality=municipality, name=key)
        cache[key] = district
    return cache[key]


def _save(model: type, lookup: dict[str, Any], count: int, source: str) -> str:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        model.objects.create(**lookup, count=count, source=source)
        return "created"
    if obj.count == count:
        return "unchanged"  # another table with the same figure (e.g. under 18 in 2021)
    obj.count, obj.source = count, source
    obj.save(update_fields=["count", "source"])
    return "updated"


def _import_row(
    record: dict[str, Any], mapping: dict[str, Any], cache: dict[str, District]
) -> list[str]:
    district = _district(record, mapping, cache)
    outcomes = []
    for column in mapping["_columns"]:
        raw = pick(record, column.column)
        if is_missing(raw):
            outcomes.append("skipped")
            continue
        try:
            count = t_int(raw, {})
        except RowError as exc:
            raise RowError(f"{column.column}: {exc}") from None
        lookup: dict[str, Any] = {"district": district, "year": column.year}
        if mapping["target"] == "population":
            lookup.update(age_from=column.age_from, age_to=column.age_to)
            outcomes.append(_save(PopulationCount, lookup, count, mapping["source"]))
        else:
            outcomes.append(_save(BirthCount, lookup, count, mapping["source"]))
    return outcomes


def run_import(path: Path | str, mapping: dict[str, Any]) -> ImportReport:
    """Import every row; each row is one transaction, so a bad row loses nothing else.

    The report counts value cells (one district's figure for one year and age group).
    """
    report = ImportReport()
    cache: dict[str, District] = {}
    for line, record in read_records(path, mapping):
        if isinstance(record, RowError):
            report.errors.append((line, str(record)))
            continue
        try:
            with transaction.atomic():
                outcomes = _import_row(record, mapping, cache)
        except RowError as exc:
            report.errors.append((line, str(exc)))
            continue
        for outcome in outcomes:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report
