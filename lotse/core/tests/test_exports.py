"""Every CSV and XLSX export of the project is written by ``lotse.core.exports``: cells are
formula-safe and files use the German Excel dialect.

The walker at the end loads the demo city, puts a formula in front of every free-text value in
the database, crawls the site as every demo user and opens every CSV/XLSX download it finds. It
fails for an export that does not carry the helper's marker, for any cell that a spreadsheet
would run as a formula, and for an export URL that no crawl reached — so a new export written by
hand is noticed.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Length
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone, translation
from openpyxl import load_workbook

from lotse.core import exports
from lotse.core.demo import load_demo
from lotse.core.tests.test_permission_sweep import crawl, logged_in, url_name

LOTSE = Path(__file__).resolve().parents[2]

# --- The escaping rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("https://evil.example","Klick")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "\n=1+1",
        "  =1+1",
        "\u00a0@cmd",
        "＝1+1",
        "=cmd|' /C calc'!A0",
    ],
)
def test_formula_like_text_is_escaped(text):
    assert exports.escape_cell(text) == "'" + text
    assert exports.format_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Kita Sonnenschein", "", "a=b", "3 Jahre", "Müller-Lüdenscheidt"])
def test_harmless_text_is_unchanged(text):
    assert exports.escape_cell(text) == text


@pytest.mark.parametrize("number", [-5, 0, 12, Decimal("-1.50"), -0.25])
def test_numbers_stay_numbers(number):
    assert exports.escape_cell(number) == number
    assert not exports.format_cell(number).startswith("'")


def test_csv_uses_the_german_excel_dialect():
    with translation.override("de"):  # yes/no are words in the reader's language
        text = _german_csv()
    _check_german_csv(text)


def _german_csv() -> str:
    return exports.csv_text(
        ["Name", "Betrag", "Anteil", "Datum", "Zeit", "Mitglied"],
        [
            [
                "Straße; Ecke",
                Decimal("1234.50"),
                41.8,
                dt.date(2026, 3, 1),
                dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC),
                True,
            ],
            [None, -41, 0.0, None, None, False],
        ],
    )


def _check_german_csv(text: str) -> None:
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    local = timezone.localtime(dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC))
    assert rows[1] == [
        "Straße; Ecke",
        "1234,50",
        "41,8",
        "01.03.2026",
        f"01.03.2026 {local:%H:%M}",
        "ja",
    ]
    assert rows[2] == ["", "-41", "0,0", "", "", "nein"]
    assert "\r\n" in text


def test_csv_response_is_a_marked_attachment():
    response = exports.csv_response("x.csv", ["a"], [["=1+1"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response[exports.MARKER_HEADER] == "csv"
    assert response.content.decode("utf-8-sig").splitlines()[1] == "'=1+1"


def test_xlsx_never_stores_a_formula_and_keeps_numbers():
    content = exports.xlsx_bytes(
        [
            exports.Sheet(
                "Zahlen: [Test]/2026",
                ["Name", "Wert"],
                [
                    ['=HYPERLINK("https://evil.example")', 3],
                    [" @SUM(A1)", Decimal("2.5")],
                    ["Steuer\x07zeichen", None],
                    [dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC), dt.date(2026, 3, 1)],
                ],
            )
        ]
    )
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert sheet.title == "Zahlen   Test  2026"
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    values = list(sheet.values)
    assert values[1] == ('\'=HYPERLINK("https://evil.example")', 3)
    assert values[2] == ("' @SUM(A1)", 2.5)
    assert values[3][0] == "Steuerzeichen"
    assert values[4][0] == timezone.make_naive(
        timezone.localtime(dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC))
    )


# --- No export written by hand ------------------------------------------------------------------

#: Modules that read CSV files (importers), never write them.
CSV_READERS = {"lotse/directory/importer.py", "lotse/planning/importer.py"}


def _writes_spreadsheets(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"writer", "DictWriter"}:
            if isinstance(node.value, ast.Name) and node.value.id == "csv":
                found.append(f"csv.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpyxl"):
            if any(alias.name in {"Workbook", "*"} for alias in node.names):
                found.append("openpyxl.Workbook")
        elif isinstance(node, ast.ImportFrom) and node.module == "csv":
            if any(alias.name in {"writer", "DictWriter", "*"} for alias in node.names):
                found.append("from csv import writer")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith("text/csv") or "spreadsheetml" in node.value:
                found.append(f"content type {node.value!r}")
    return found


def test_no_module_writes_csv_or_xlsx_by_hand():
    offenders = {}
    for path in sorted(LOTSE.rglob("*.py")):
        relative = path.relative_to(LOTSE.parent).as_posix()
        if "/tests/" in relative or "/migrations/" in relative or relative in CSV_READERS:
            continue
        if relative in {"lotse/core/exports.py", "lotse/core/uploads.py"}:
            continue  # the writer itself; uploads only names the types of files it serves
        found = _writes_spreadsheets(ast.parse(path.read_text()))
        if found:
            offenders[relative] = found
    assert offenders == {}, "write CSV/XLSX through lotse.core.exports: " + str(offenders)


def test_the_static_check_finds_a_hand_written_export():
    source = "import csv\ndef v(r):\n    w = csv.writer(r, delimiter=';')\n"
    assert _writes_spreadsheets(ast.parse(source)) == ["csv.writer"]
    assert _writes_spreadsheets(ast.parse("from openpyxl import Workbook\n"))


# --- The walker: every export of the demo city, with formulas in the data ------------------------

POISON = "=1+1 "
EXPORT_ROUTE = re.compile(r"csv|xlsx|xls\b|\.ods|spreadsheet", re.IGNORECASE)
GERMAN_NUMBER = re.compile(r"^-?\d+(,\d+)?$")


def _poison_free_text() -> int:
    """Prefix every free-text value of Lotse's own models with a formula. Fields with choices,
    unique values, e-mail addresses, slugs and URLs keep their values so the site still works."""
    changed = 0
    for model in apps.get_models():
        if not model.__module__.startswith("lotse.") or model._meta.proxy:
            continue
        unique_together = {
            name
            for constraint in model._meta.constraints
            if isinstance(constraint, models.UniqueConstraint)
            for name in constraint.fields
        }
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            if isinstance(field, models.EmailField | models.SlugField | models.URLField):
                continue
            if field.choices or field.unique or field.primary_key or field.name in unique_together:
                continue
            rows = model.objects.exclude(**{field.name: ""}).exclude(
                **{f"{field.name}__isnull": True}
            )
            if field.max_length:
                rows = rows.annotate(_length=Length(field.name)).filter(
                    _length__lte=field.max_length - len(POISON)
                )
            changed += rows.update(**{field.name: Concat(Value(POISON), F(field.name))})
    return changed


@pytest.fixture(scope="module")
def poisoned_city(django_db_setup, django_db_blocker):
    from lotse.accounts.models import User

    with django_db_blocker.unblock():
        load_demo()
        assert _poison_free_text() > 100
        users = {
            u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@lotse.example")
        }
    yield users
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def export_url_names() -> set[str]:
    """URL names whose route or name says it is a CSV/XLSX export."""
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                route = prefix + str(pattern.pattern)
                if EXPORT_ROUTE.search(route) or EXPORT_ROUTE.search(pattern.name):
                    names.add(f"{namespace.strip(':')}:{pattern.name}".lstrip(":"))

    walk(get_resolver().url_patterns, "", "")
    return names


def _is_spreadsheet(content_type: str) -> bool:
    return content_type.startswith("text/csv") or "spreadsheetml" in content_type


def _cells(content_type: str, content: bytes) -> list[str]:
    if content_type.startswith("text/csv"):
        assert content.startswith("\ufeff".encode()), "CSV without byte-order mark"
        text = content.decode("utf-8-sig")
        return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    book = load_workbook(io.BytesIO(content))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula stored in {sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells


def _formula_cells(cells: list[str]) -> list[str]:
    return [c for c in cells if exports.is_formula_like(c) and not GERMAN_NUMBER.match(c)]


@pytest.mark.django_db
@pytest.mark.xdist_group("exports-walk")
def test_every_export_is_formula_safe_and_uses_the_helper(poisoned_city, django_db_blocker):
    downloads: dict[str, tuple[str, str]] = {}  # path → (who, content type)
    problems = []
    with django_db_blocker.unblock():
        for who, user in sorted(poisoned_city.items()):
            client = logged_in(user)
            result = crawl(client, ["/dashboard/", "/"])
            for path, status in result.pages.items():
                content_type = result.content_types[path]
                if status != 200 or path in downloads or not _is_spreadsheet(content_type):
                    continue
                response = client.get(path)
                downloads[path] = (who, content_type)
                if response.get(exports.MARKER_HEADER) is None:
                    problems.append((path, "not written by lotse.core.exports"))
                bad = _formula_cells(_cells(content_type, response.content))
                if bad:
                    problems.append((path, f"formula cells: {bad[:3]}"))
    reached = {url_name(path) for path in downloads}
    missing = export_url_names() - reached
    assert missing == set(), f"export URLs no crawl opened (link them or test them): {missing}"
    assert problems == [], problems
    # The walker really saw poisoned cells (else it proves nothing).
    assert {"planning:export_csv", "planning:export_xlsx"} <= reached
    assert len(downloads) >= 4


def test_the_walker_notices_an_unescaped_cell():
    assert _formula_cells(["=1+1 Kita", "-41", "'=1+1 Kita", "12,5"]) == ["=1+1 Kita"]
