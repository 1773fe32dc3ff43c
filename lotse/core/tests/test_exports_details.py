"""The details of the one CSV/XLSX writer that mutation testing found unchecked: download
headers, the workbook's layout, sheet names, time zones and control characters, and formula
triggers after non-breaking and ideographic spaces."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from lotse.core import exports


@pytest.mark.parametrize("text", ["\u00a0=1+1", "\u3000@SUM(A1)", " \u00a0\t+1", "\n-1"])
def test_a_formula_after_any_kind_of_space_is_escaped(text):
    assert exports.is_formula_like(text)
    assert exports.escape_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", " ", "\u00a0\u3000", "a=1", "X=1", "Kita Süd"])
def test_blank_or_plain_text_is_no_formula(text):
    assert not exports.is_formula_like(text)


def test_csv_text_is_exactly_the_german_dialect():
    text = exports.csv_text(
        ["Name", "Zahl"], [["A;B", Decimal("1.5")], [None, True], [dt.date(2026, 3, 1), "=1"]]
    )
    assert text == ('\ufeffName;Zahl\r\n"A;B";1,5\r\n;ja\r\n01.03.2026;\'=1\r\n')


def test_datetimes_are_written_in_local_time():
    aware = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)  # 14:00 in Berlin (summer time)
    assert exports.format_cell(aware) == "01.07.2026 14:00"
    assert exports.format_cell(dt.datetime(2026, 1, 2, 3, 4)) == "02.01.2026 03:04"
    assert exports.format_cell(False) == "nein"
    assert exports.format_cell(-5) == "-5"


def _assert_download(response, kind: str, content_type: str, filename: str) -> None:
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response[exports.MARKER_HEADER] == kind


def test_csv_and_xlsx_downloads_are_marked_attachments():
    csv = exports.csv_response("liste.csv", ["a"], [["1"]])
    _assert_download(csv, "csv", exports.CSV_CONTENT_TYPE, "liste.csv")
    sheet = exports.Sheet(title="Daten", header=["a"], rows=[["1"]])
    xlsx = exports.xlsx_response("liste.xlsx", [sheet])
    _assert_download(xlsx, "xlsx", exports.XLSX_CONTENT_TYPE, "liste.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["Daten"]


def test_workbook_layout():
    long_heading = "Eine sehr lange Spaltenüberschrift, die nicht ganz passt"
    sheets = [
        exports.Sheet(
            title="Plätze",
            header=["Nr", "Name der Einrichtung", long_heading],
            rows=[[1, "Kita\x07 Süd", None]],
        ),
        exports.Sheet(title="Zweites", header=["x"], rows=[]),
    ]
    book = load_workbook(io.BytesIO(exports.xlsx_bytes(sheets)))
    assert book.sheetnames == ["Plätze", "Zweites"]  # no empty default sheet
    sheet = book["Plätze"]
    assert [c.font.bold for c in sheet[1]] == [True, True, True]
    assert not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[col].width for col in "ABC"]
    assert widths == [12, len("Name der Einrichtung") + 2, 40]
    assert sheet["B2"].value == "Kita Süd"  # control characters removed, not the file refused
    assert sheet["A2"].value == 1 and sheet["C2"].value is None


def test_xlsx_writes_local_wall_clock_time():
    aware = timezone.make_aware(dt.datetime(2026, 1, 5, 9, 30))
    sheet = exports.Sheet(title="Zeit", header=["t"], rows=[[aware], [dt.date(2026, 1, 5)]])
    book = load_workbook(io.BytesIO(exports.xlsx_bytes([sheet])))
    assert book["Zeit"]["A2"].value == dt.datetime(2026, 1, 5, 9, 30)
    assert book["Zeit"]["A3"].value.date() == dt.date(2026, 1, 5)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Plätze [2026]: a/b\\c*d?", "Plätze  2026   a b c d "),
        ("'Zitat'", "Zitat"),
        ("XX'X", "XX'X"),
        ("x" * 40, "x" * 31),
        ("", "Sheet"),
        ("''", "Sheet"),
    ],
)
def test_sheet_names_follow_excels_rules(title, expected):
    assert exports._sheet_title(title) == expected
