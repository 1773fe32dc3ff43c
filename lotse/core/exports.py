"""The one way Lotse writes CSV and XLSX files: safe to open in a spreadsheet, and what German
Excel opens without an import dialog.

Two things every export needs and nobody should write twice:

- **Formula injection.** A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (also after
  leading spaces, and their full-width forms), a tab or a carriage return is run as a formula by
  Excel and LibreOffice — a counselling service named ``=HYPERLINK("https://evil",…)`` would run
  in another organisation's export. :func:`escape_cell` puts an apostrophe in front of such text
  (OWASP's advice); numbers stay numbers.
- **German Excel dialect.** ``;`` between cells, decimal comma, dates as ``31.12.2026``,
  UTF-8 with a byte-order mark (without it Excel reads umlauts as ``Ã¼``).

Use :func:`csv_response` / :func:`xlsx_response` in views; :func:`csv_text` /
:func:`xlsx_bytes` where the bytes are needed (mail attachments, tests). A test walks every
export of the project (``core/tests/test_exports.py``) and fails for one that does not use this
module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.numberformat import format as number_format
from django.utils.translation import gettext as _

#: Characters that make a spreadsheet treat a cell as a formula (or DDE command); the
#: full-width forms are normalised to these by some spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CSV_DELIMITER = ";"
DECIMAL_SEPARATOR = ","
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Response header that marks a download as written by this module (the export walker checks
#: it, so an export written by hand is noticed).
MARKER_HEADER = "X-Lotse-Export"

Cell = Any
Row = Sequence[Cell]


def is_formula_like(text: str) -> bool:
    """True if a spreadsheet would run ``text`` (or a cell starting like it) as a formula."""
    if not text:
        return False
    if text[0] in FORMULA_TRIGGERS:
        return True
    stripped = text.lstrip(" \t\r\n\u00a0\u3000")
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def escape_cell(value: Cell) -> Cell:
    """Text that would run as a formula gets a leading apostrophe; everything else unchanged.

    Numbers (int, float, Decimal) are left as they are: ``-5`` is a number, not a formula.
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def format_cell(value: Cell) -> str:
    """One cell as German Excel text: empty for None, decimal comma, dd.mm.yyyy dates, escaped
    text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return number_format(value, DECIMAL_SEPARATOR, use_l10n=False)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return escape_cell(str(value))


def csv_text(header: Row, rows: Iterable[Row]) -> str:
    """The whole CSV file as text (with byte-order mark), German Excel dialect."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([format_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([format_cell(cell) for cell in row])
    return buffer.getvalue()


def _download(content: str | bytes, content_type: str, filename: str, kind: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response[MARKER_HEADER] = kind
    return response


def csv_response(filename: str, header: Row, rows: Iterable[Row]) -> HttpResponse:
    """A CSV download for German Excel (``;``, decimal comma, UTF-8 with BOM), cells escaped."""
    return _download(csv_text(header, rows), CSV_CONTENT_TYPE, filename, "csv")


@dataclass(frozen=True)
class Sheet:
    """One worksheet of an XLSX export: a bold, frozen header row, then the rows."""

    title: str
    header: Row
    rows: Iterable[Row]


def _xlsx_value(value: Cell) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool | int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            # Excel has no time zones: write the local wall-clock time.
            return timezone.make_naive(timezone.localtime(value))
        return value
    # Control characters are not allowed in XLSX (openpyxl would refuse the whole file).
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return escape_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook; text is always stored as text (never as a formula), numbers as numbers
    (Excel shows them with the reader's decimal comma)."""
    from openpyxl import Workbook  # imported lazily: only exports need it
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for spec in sheets:
        sheet = workbook.create_sheet(title=_sheet_title(spec.title))
        for row in [spec.header, *spec.rows]:
            sheet.append([_xlsx_value(cell) for cell in row])
        for row_cells in sheet.iter_rows():
            for cell in row_cells:
                if cell.data_type == "f":  # openpyxl reads "=…" as a formula: store it as text
                    cell.data_type = "s"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, heading in enumerate(spec.header, start=1):
            width = max(12, min(len(str(heading)) + 2, 40))
            sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel limits sheet names to 31 characters without []:*?/\ .
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title)).strip("'")
    return cleaned[:31] or "Sheet"


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    """An XLSX download with every text cell escaped (see :func:`xlsx_bytes`)."""
    return _download(xlsx_bytes(sheets), XLSX_CONTENT_TYPE, filename, "xlsx")
