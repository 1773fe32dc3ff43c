"""Import facilities and districts from CSV, GeoJSON or JSON, driven by a mapping file.

A mapping file (JSON, see ``docs/import.md``) names the source, the file format, how to build
the stable external ID, and for each target field the source column (a dotted path for nested
JSON) plus named transforms. Re-importing the same source updates rows instead of duplicating
them; a bad row is reported with its line (or record number) and reason and does not stop the
import.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from .models import Concept, District, Facility, Language
from .selectors import invalidate_choices

MISSING = object()
NULL_STRINGS = {"", "null", "none", "nan", "-", "n/a"}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


class RowError(ValueError):
    """A problem with one source row; the import reports it and goes on."""


class MappingError(ValueError):
    """The mapping file itself is unusable; nothing is imported."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: Imported rows someone should look at (e.g. a facility far outside the municipality).
    flagged: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {len(self.errors)} errors"
        )
        return f"{text}, {len(self.flagged)} flagged" if self.flagged else text


# --- Transforms ---------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    return (
        value is None
        or value is MISSING
        or (isinstance(value, str) and value.strip().lower() in NULL_STRINGS)
    )


def t_strip(value: Any, spec: dict) -> Any:
    # Real data has names like " Kita Mini-Forscher " and doubled inner spaces.
    return re.sub(r"\s+", " ", str(value)).strip()


def t_int(value: Any, spec: dict) -> int:
    try:
        number = int(float(str(value).replace(",", ".")))
    except ValueError as exc:
        raise RowError(f"'{value}' is not a whole number") from exc
    if number < 0:
        raise RowError(f"'{value}' must not be negative")
    return number


def t_float(value: Any, spec: dict) -> float:
    try:
        return float(str(value).replace(",", "."))
    except ValueError as exc:
        raise RowError(f"'{value}' is not a number") from exc


def t_bool(value: Any, spec: dict) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"x", "1", "true", "yes", "ja", "j"}:
        return True
    if text in {"0", "false", "no", "nein", "n"}:
        return False
    raise RowError(f"'{value}' is not yes/no")


def t_positive(value: Any, spec: dict) -> bool:
    """A count used as a yes/no (e.g. the number of integration groups)."""
    return t_int(value, spec) > 0


def t_map(value: Any, spec: dict) -> Any:
    table = spec.get("map", {})
    key = str(value).strip()
    if key in table:
        return table[key]
    if "map_default" in spec:
        return spec["map_default"]
    raise RowError(f"unknown value '{key}' (expected one of: {', '.join(sorted(table))})")


def t_phone(value: Any, spec: dict) -> str:
    """Add the local area code to numbers written without one (e.g. '3132978')."""
    text = re.sub(r"[^\d+/ -]", "", str(value)).strip()
    if not text:
        raise RowError(f"'{value}' is not a phone number")
    area = spec.get("area_code", "")
    if area and not text.startswith(("0", "+")):
        text = f"{area}/{text}"
    return text


def t_ms_to_time(value: Any, spec: dict) -> str:
    """Milliseconds after midnight (SH Kita-Datenbank) to 'HH:MM'."""
    ms = t_int(value, spec)
    if ms > 24 * 3600 * 1000:
        raise RowError(f"time '{value}' is later than midnight")
    minutes = ms // 60000
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def t_time_range(value: Any, spec: dict) -> list[str]:
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*", str(value))
    if not match:
        raise RowError(f"opening hours '{value}' are not of the form 07:30-16:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (0 <= h1 <= 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
        raise RowError(f"opening hours '{value}' are not valid times")
    return [f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"]


def t_split(value: Any, spec: dict) -> list[str]:
    if isinstance(value, list):
        return [t_strip(v, spec) for v in value if not is_missing(v)]
    return [t_strip(v, spec) for v in re.split(spec.get("separator", ","), str(value)) if v.strip()]


def t_after_dash(value: Any, spec: dict) -> Any:
    """'Flensburg - Mürwik' → 'Mürwik'; values without ' - ' count as missing."""
    text = t_strip(value, spec)
    return text.split(" - ", 1)[1].strip() if " - " in text else MISSING


def t_district_name(value: Any, spec: dict) -> str:
    """'04 Westliche Höhe' or 'Westliche_Höhe' → 'Westliche Höhe'."""
    return normalise_district_name(str(value))


TRANSFORMS: dict[str, Callable[[Any, dict], Any]] = {
    "strip": t_strip,
    "int": t_int,
    "float": t_float,
    "bool": t_bool,
    "positive": t_positive,
    "map": t_map,
    "phone": t_phone,
    "ms_to_time": t_ms_to_time,
    "time_range": t_time_range,
    "split": t_split,
    "after_dash": t_after_dash,
    "district_name": t_district_name,
}


def normalise_district_name(name: str) -> str:
    text = re.sub(r"^\s*\d+\s+", "", name.replace("_", " "))
    return re.sub(r"\s+", " ", text).strip()


# --- Derivations: named rules that need several columns ------------------------------------

# Typical group sizes in Schleswig-Holstein (KiTaG): Krippe 10, Elementar 20, Hort 20,
# age-mixed 1–6 groups 15 places.
GROUP_SIZES = {"u3": 10, "ue3": 20, "school": 20, "mixed": 15, "nature": 20}


def d_seats_from_groups(record: dict[str, Any]) -> None:
    """Split the licensed places over the seat types in proportion to the groups of each:
    crèche, kindergarten (nature groups included), after-school and mixed groups (1 to 6
    years, ``seats_mixed``: places, where a child under 3 counts by the municipality's rule)."""
    groups = {
        k: record.pop(f"groups_{k}", 0) or 0 for k in ("u3", "ue3", "school", "mixed", "nature")
    }
    weights = {
        "u3": groups["u3"] * GROUP_SIZES["u3"],
        "ue3": groups["ue3"] * GROUP_SIZES["ue3"] + groups["nature"] * GROUP_SIZES["nature"],
        "school": groups["school"] * GROUP_SIZES["school"],
        "mixed": groups["mixed"] * GROUP_SIZES["mixed"],
    }
    total = record.get("places_total") or sum(weights.values())
    record["places_total"] = total
    weight_sum = sum(weights.values())
    if not weight_sum:
        return
    under3 = round(total * weights["u3"] / weight_sum)
    school = round(total * weights["school"] / weight_sum)
    mixed = round(total * weights["mixed"] / weight_sum)
    record["seats_under3"] = under3
    record["seats_school"] = school
    record["seats_mixed"] = mixed
    record["seats_over3"] = max(total - under3 - school - mixed, 0)
    young, old = weights["u3"] + weights["mixed"] > 0, weights["ue3"] + weights["mixed"] > 0
    if "kind" not in record:
        record["kind"] = kind_from_bands(young, old, weights["school"] > 0)
    start = 0 if weights["u3"] else 12 if weights["mixed"] else 36 if weights["ue3"] else 72
    record.setdefault("age_from_months", start)
    record.setdefault("age_to_months", 168 if weights["school"] else 83 if old else 35)


def kind_from_bands(u3: bool, ue3: bool, school: bool) -> str:
    if u3 and not ue3 and not school:
        return Facility.Kind.KRIPPE
    if school and not u3 and not ue3:
        return Facility.Kind.HORT
    if ue3 and not u3 and not school:
        return Facility.Kind.KINDERGARTEN
    return Facility.Kind.KITA


def d_kind_from_age_range(record: dict[str, Any]) -> None:
    """For Kitas without an explicit kind: derive it from the age range in months."""
    if record.get("kind") not in (None, Facility.Kind.KITA):
        return
    start, end = record.get("age_from_months"), record.get("age_to_months")
    if start is None or end is None:
        record["kind"] = Facility.Kind.KITA
        return
    # Kindergartens in the Kita-Datenbank end at 83 months ("until school entry"); only a
    # range beyond 84 months (7 years) means the facility also cares for school children.
    record["kind"] = kind_from_bands(start < 36, start < 72 and end >= 36, end > 84)


def d_kind_from_name(record: dict[str, Any]) -> None:
    """Parent initiatives and family centres are named as such in the source data."""
    haystack = f"{record.get('name', '')} {record.get('operator_name', '')}".lower()
    if "elterninitiative" in haystack or "elternverein" in haystack:
        record["kind"] = Facility.Kind.ELTERNINITIATIVE
    elif "familienzentrum" in haystack or "eltern-kind-zentrum" in haystack:
        record["kind"] = Facility.Kind.FAMILIENZENTRUM


def d_weekday_hours(record: dict[str, Any]) -> None:
    """Opening hours given once (from/to or a range) apply Monday to Friday."""
    opening = record.pop("opening_range", None)
    start, end = record.pop("opening_from", None), record.pop("opening_to", None)
    if opening:
        start, end = opening
    if not (start and end):
        return
    record["opening_hours"] = {day: [start, end] for day in WEEKDAYS}
    minutes = (int(end[:2]) * 60 + int(end[3:])) - (int(start[:2]) * 60 + int(start[3:]))
    if minutes <= 0:
        raise RowError(f"opening hours end ({end}) before they start ({start})")
    # Care options offered: from 20 hours per week up to the full opening time.
    record["max_weekly_hours"] = minutes * 5 // 60
    record["min_weekly_hours"] = min(20, record["max_weekly_hours"])


def d_street_from_parts(record: dict[str, Any]) -> None:
    name, number = record.pop("street_name", ""), record.pop("street_number", "")
    if name:
        record["street"] = f"{name} {number}".strip()


DERIVATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "street_from_parts": d_street_from_parts,
    "seats_from_groups": d_seats_from_groups,
    "kind_from_age_range": d_kind_from_age_range,
    "kind_from_name": d_kind_from_name,
    "weekday_hours": d_weekday_hours,
}


# --- Reading sources -----------------------------------------------------------------------


def load_mapping(path: Path | str) -> dict[str, Any]:
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from exc
    for key in ("source", "format", "fields"):
        if key not in mapping:
            raise MappingError(f"mapping {path} lacks '{key}'")
    if mapping["format"] not in {"csv", "geojson", "json"}:
        raise MappingError(f"unknown format '{mapping['format']}' (csv, geojson or json)")
    for target, spec in mapping["fields"].items():
        for name in _as_spec(spec).get("transform", []):
            if name not in TRANSFORMS:
                raise MappingError(f"field '{target}': unknown transform '{name}'")
    for name in mapping.get("derive", []):
        if name not in DERIVATIONS:
            raise MappingError(f"unknown derivation '{name}'")
    return mapping


def _as_spec(spec: str | dict) -> dict:
    return {"from": spec} if isinstance(spec, str) else spec


def read_records(path: Path | str, mapping: dict[str, Any]) -> Iterator[tuple[int, Any]]:
    """Yield (line or record number, raw record) pairs; CSV lines count from the header (1)."""
    path = Path(path)
    fmt = mapping["format"]
    if fmt == "csv":
        with path.open(encoding=mapping.get("encoding", "utf-8-sig"), newline="") as handle:
            reader = csv.DictReader(handle, delimiter=mapping.get("delimiter", ","))
            expected = len(reader.fieldnames or [])
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    found = (
                        expected + len(row.get(None) or []) - sum(v is None for v in row.values())
                    )
                    yield (
                        reader.line_num,
                        RowError(f"{found} fields instead of {expected} (an unquoted comma?)"),
                    )
                    continue
                yield reader.line_num, row
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    if fmt == "geojson":
        for number, feature in enumerate(data.get("features", []), start=1):
            record = dict(feature.get("properties") or {})
            geometry = feature.get("geometry") or {}
            record["__geometry__"] = geometry
            if geometry.get("type") == "Point":
                record["__lon__"], record["__lat__"] = geometry["coordinates"][:2]
            yield number, record
    else:
        items = data.get(mapping.get("items_key", "items"), []) if isinstance(data, dict) else data
        yield from enumerate(items, start=1)


def pick(record: Any, dotted: str) -> Any:
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def matches_filters(record: Any, filters: dict[str, str]) -> bool:
    return all(str(pick(record, key)).strip() == value for key, value in filters.items())


def convert(record: Any, mapping: dict[str, Any]) -> dict[str, Any]:
    """Apply the mapping to one raw record; raises RowError naming the field."""
    out: dict[str, Any] = dict(mapping.get("defaults", {}))
    for target, raw_spec in mapping["fields"].items():
        spec = _as_spec(raw_spec)
        value = pick(record, spec["from"])
        if is_missing(value):
            if spec.get("required"):
                raise RowError(f"'{spec['from']}' is empty but required")
            continue
        try:
            for name in spec.get("transform", []):
                value = TRANSFORMS[name](value, spec)
                if value is MISSING:
                    break
        except RowError as exc:
            raise RowError(f"{spec['from']}: {exc}") from None
        if value is not MISSING:
            out[target] = value
    for name in mapping.get("derive", []):
        DERIVATIONS[name](out)
    id_fields = mapping.get("id", [])
    if isinstance(id_fields, str):
        id_fields = [id_fields]
    parts = [str(pick(record, f)) for f in id_fields if not is_missing(pick(record, f))]
    if len(parts) != len(id_fields):
        raise RowError(f"no ID: {', '.join(id_fields)} must be present")
    out["external_id"] = (
        slugify(" ".join(parts))[:120] if mapping.get("slug_id") else "-".join(parts)
    )
    return out


# --- Writing -------------------------------------------------------------------------------

FACILITY_FIELDS = {
    f.name
    for f in Facility._meta.get_fields()
    if f.concrete and not f.many_to_many and f.name not in {"id", "updated_at"}
}


def _validate_facility(values: dict[str, Any]) -> None:
    if not values.get("name"):
        raise RowError("the facility has no name")
    lat, lon = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lon is None):
        raise RowError("only one of latitude and longitude is given")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RowError(f"coordinates ({lat}, {lon}) are out of range")
    start, end = values.get("age_from_months"), values.get("age_to_months")
    if start is not None and end is not None and start > end:
        raise RowError(f"age range from {start} to {end} months is reversed")
    if values.get("kind") not in Facility.Kind.values:
        raise RowError(f"unknown kind '{values.get('kind')}'")


class DistrictCache:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], District] = {}

    def get(self, municipality: str, name: str) -> District:
        return self.get_or_create(municipality, name)[0]

    def get_or_create(self, municipality: str, name: str) -> tuple[District, bool]:
        key = (municipality, normalise_district_name(name))
        created = False
        if key not in self._by_key:
            self._by_key[key], created = District.objects.get_or_create(
                municipality=key[0], name=key[1]
            )
        return self._by_key[key], created


class ImportState:
    """What one import run has already loaded, so each row costs one or two queries."""

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.districts = DistrictCache()
        self.facilities: dict[str, Facility] = {}
        if target == "facility":
            self.facilities = {
                f.external_id: f
                for f in Facility.objects.filter(source=source).prefetch_related(
                    "languages", "concepts"
                )
            }
        self._languages: dict[str, Language] = {}
        self._concepts: dict[str, Concept] = {}

    def language(self, name_or_code: str) -> Language:
        code, name = LANGUAGE_NAMES.get(
            name_or_code.lower(), (name_or_code.lower()[:12], name_or_code)
        )
        if code not in self._languages:
            self._languages[code] = Language.objects.get_or_create(
                code=code, defaults={"name": name}
            )[0]
        return self._languages[code]

    def concept(self, name: str) -> Concept:
        if name not in self._concepts:
            self._concepts[name] = Concept.objects.get_or_create(name=name[:120])[0]
        return self._concepts[name]


def _set_m2m(facility: Facility, attr: str, wanted: list[object]) -> bool:
    manager = getattr(facility, attr)
    if {o.pk for o in manager.all()} == {o.pk for o in wanted}:  # type: ignore[attr-defined]
        return False
    manager.set(wanted)
    return True


def _save_facility(values: dict[str, Any], state: ImportState) -> str:
    languages = values.pop("languages", None)
    concepts = values.pop("concepts", None)
    municipality = values.pop("municipality", "") or values.get("city", "")
    district_name = values.pop("district", None)
    unknown = set(values) - FACILITY_FIELDS
    if unknown:
        raise RowError(f"mapping produces unknown fields: {', '.join(sorted(unknown))}")
    _validate_facility(values)
    if district_name:
        values["district"] = state.districts.get(municipality, district_name)
    facility = state.facilities.get(values["external_id"])
    outcome = "unchanged"
    if facility is None:
        facility = Facility(source=state.source)
        outcome = "created"
    for key, value in values.items():
        if getattr(facility, key) != value:
            setattr(facility, key, value)
            outcome = "updated" if outcome == "unchanged" else outcome
    if outcome != "unchanged":
        facility.save()
        state.facilities[facility.external_id] = facility
    changed = False
    if languages is not None:
        changed |= _set_m2m(facility, "languages", [state.language(x) for x in languages])
    if concepts is not None:
        changed |= _set_m2m(facility, "concepts", [state.concept(x) for x in concepts])
    if changed and outcome == "unchanged":
        outcome = "updated"
    return outcome


LANGUAGE_NAMES = {
    "deutsch": ("de", "Deutsch"),
    "english": ("en", "English"),
    "englisch": ("en", "English"),
    "dansk": ("da", "Dansk"),
    "dänisch": ("da", "Dansk"),
    "niederdeutsch": ("nds", "Niederdeutsch"),
    "friesisch": ("frr", "Friesisch"),
    "türkisch": ("tr", "Türkçe"),
    "arabisch": ("ar", "العربية"),
    "ukrainisch": ("uk", "Українська"),
    "russisch": ("ru", "Русский"),
    "polnisch": ("pl", "Polski"),
}


def _save_district(values: dict[str, Any], state: ImportState) -> str:
    name = values.get("name")
    if not name:
        raise RowError("the district has no name")
    municipality = values.get("municipality") or ""
    geometry = values.get("boundary")
    district, created = state.districts.get_or_create(municipality, name)
    outcome = "created" if created else "unchanged"
    updates: dict[str, Any] = {"code": values.get("code", district.code)}
    if geometry:
        if geometry.get("type") not in {"Polygon", "MultiPolygon"}:
            raise RowError(f"boundary is a {geometry.get('type')}, not a polygon")
        updates["boundary"] = geometry
        updates["latitude"], updates["longitude"] = polygon_centroid(geometry)
    for key, value in updates.items():
        if getattr(district, key) != value:
            setattr(district, key, value)
            outcome = "updated" if outcome == "unchanged" else outcome
    if outcome != "unchanged":
        district.save()
    return outcome


def polygon_centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    """Mean of the outer ring's vertices: good enough to place a label or a map centre."""
    rings = (
        [geometry["coordinates"][0]]
        if geometry["type"] == "Polygon"
        else [poly[0] for poly in geometry["coordinates"]]
    )
    points = [pt for ring in rings for pt in ring]
    return (
        sum(p[1] for p in points) / len(points),
        sum(p[0] for p in points) / len(points),
    )


#: A facility more than this far outside its municipality's districts is flagged in the report
#: (typically swapped or mistyped coordinates); it is still imported.
FAR_OUTSIDE_KM = 10.0


@dataclass(frozen=True)
class Area:
    """A municipality's extent: the box around its district boundaries."""

    south: float
    north: float
    west: float
    east: float

    def km_outside(self, latitude: float, longitude: float) -> float:
        """0 inside the box, else the distance to its nearest edge (flat-earth, km)."""
        dy = max(self.south - latitude, 0.0, latitude - self.north)
        dx = max(self.west - longitude, 0.0, longitude - self.east)
        return math.hypot(dy, dx * math.cos(math.radians(latitude))) * 111.2


def municipality_area(municipality: str) -> Area | None:
    points = [
        point
        for boundary in District.objects.filter(
            municipality=municipality, boundary__isnull=False
        ).values_list("boundary", flat=True)
        for point in _outer_points(boundary)
    ]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return Area(min(lats), max(lats), min(lons), max(lons))


def _outer_points(geometry: dict[str, Any]) -> list[list[float]]:
    if geometry.get("type") == "Polygon":
        return list(geometry["coordinates"][0])
    if geometry.get("type") == "MultiPolygon":
        return [pt for poly in geometry["coordinates"] for pt in poly[0]]
    return []


def flag_far_outside(placed: list[tuple[int, Facility, str]], report: ImportReport) -> None:
    """Flag facilities far outside their municipality (known by its district boundaries)."""
    areas: dict[str, Area | None] = {}
    for line, facility, municipality in placed:
        if municipality not in areas:
            areas[municipality] = municipality_area(municipality)
        area = areas[municipality]
        if area is None or facility.latitude is None or facility.longitude is None:
            continue
        km = area.km_outside(facility.latitude, facility.longitude)
        if km > FAR_OUTSIDE_KM:
            report.flagged.append(
                (
                    line,
                    f"'{facility.name}' at ({facility.latitude}, {facility.longitude}) lies "
                    f"{km:.0f} km outside {municipality}: check the coordinates "
                    "(latitude and longitude swapped?)",
                )
            )


def run_import(
    path: Path | str,
    mapping: dict[str, Any],
    *,
    filters: dict[str, str] | None = None,
    limit: int | None = None,
) -> ImportReport:
    """Import every record; each row is its own transaction so a bad row loses nothing else."""
    report = ImportReport()
    target = mapping.get("target", "facility")
    save = _save_facility if target == "facility" else _save_district
    state = ImportState(mapping["source"], target)
    filters = {**mapping.get("filter", {}), **(filters or {})}
    placed: list[tuple[int, Facility, str]] = []
    for line, record in read_records(path, mapping):
        if isinstance(record, RowError):
            report.errors.append((line, str(record)))
            continue
        if filters and not matches_filters(record, filters):
            report.skipped += 1
            continue
        if limit is not None and report.ok >= limit:
            break
        try:
            values = convert(record, mapping)
            municipality = values.get("municipality") or values.get("city") or ""
            with transaction.atomic():
                outcome = save(values, state)
        except RowError as exc:
            report.errors.append((line, str(exc)))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
        if target == "facility":
            facility = state.facilities.get(values.get("external_id", ""))
            if facility is not None:
                placed.append((line, facility, municipality))
    if placed:
        flag_far_outside(placed, report)
    invalidate_choices()
    return report
