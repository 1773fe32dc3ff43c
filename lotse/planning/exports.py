"""What the CSV and XLSX exports of a planning report contain: only the report's (suppressed)
figures, nothing here reads the database. ``lotse.core.exports`` writes the files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from lotse.core import exports
from lotse.core.disclosure import LEGEND, Figure

from .population import BANDS
from .report import ALL, BAND_LABELS, Report, Row


def figure_header() -> list[str]:
    return [
        _("Year"),
        _("District"),
        _("Age band"),
        _("Seats"),
        _("Children"),
        _("Coverage ratio (seats per 100 children)"),
        _("Assumed demand (children)"),
        _("Balance (seats minus demand)"),
        _("Children applying"),
        _("Placements"),
        _("Legal claim without an offer"),
        _("Mean days from application to offer"),
        _("Places in mixed groups (1 to 6 years)"),
        _("Children under 3 the mixed-group places hold at most"),
    ]


def cell(value: object) -> Any:
    """A figure for a CSV/XLSX cell: the number, or the privacy mark."""
    return value.export if isinstance(value, Figure) else value


def _figure_cells(report: Report, row: Row, band: str) -> list[Any]:
    return [
        report.filters.year,
        _("Whole municipality (%(name)s)") % {"name": report.filters.municipality}
        if row.is_total
        else row.name,
        str(BAND_LABELS[band]),
        row.seats,
        cell(row.children),
        row.coverage,
        cell(row.demand),
        row.balance,
        cell(row.applicants),
        cell(row.placements),
        cell(row.unmet),
        row.wait_days,
        row.mixed_seats,
        row.mixed_under3,
    ]


def export_bands(report: Report) -> list[str]:
    return [*BANDS, ALL] if report.filters.band == ALL else [report.filters.band]


def figure_rows(report: Report) -> Iterator[list[Any]]:
    """Long format: one line per district and age band, then the municipality per band."""
    district = report.filters.district
    for band in export_bands(report):
        rows, total = report.tables[band]
        for row in rows:
            if district is None or row.district_id == district.pk:
                yield _figure_cells(report, row, band)
        if district is None:
            yield _figure_cells(report, total, band)


def forecast_header(report: Report) -> list[str]:
    header = [_("District"), _("Seats")]
    for year in report.forecast_years:
        header += [
            _("Children %(year)s") % {"year": year},
            _("Demand %(year)s") % {"year": year},
            _("Balance %(year)s") % {"year": year},
        ]
    return header


def forecast_rows(report: Report) -> Iterator[list[Any]]:
    district = report.filters.district
    for row in report.forecast:
        if district is not None and not row.is_total and row.key != str(district.pk):
            continue
        if district is not None and row.is_total:
            continue
        cells: list[Any] = [row.name, row.seats]
        for children, demand, balance in row.years:
            cells += [cell(children), cell(demand), balance]
        yield cells


def flow_header() -> list[str]:
    return [_("Home district"), _("District of the place"), _("Children placed")]


def flow_rows(report: Report) -> Iterator[list[Any]]:
    for flow in report.flows:
        yield [flow.home, flow.place, cell(flow.children)]


def method_lines(report: Report) -> list[str]:
    lines = [
        _("Planning report %(municipality)s, year %(year)s, %(band)s.")
        % {
            "municipality": report.filters.municipality,
            "year": report.filters.year,
            "band": report.filters.band_label,
        },
        str(LEGEND),
        _(
            "Assumed demand (%% of children): under 3 %(u3)s, 3 to school entry %(ue3)s, "
            "school children %(school)s."
        )
        % report.filters.demand,
        _(
            "Places in mixed groups (1 to 6 years) are not in the seats: a child under 3 counts "
            "%(w)d places there (the municipality's allocation rule), a child from 3 one place."
        )
        % {"w": report.mixed_weight},
    ]
    if report.is_estimate:
        lines.append(
            _("Children are a forecast from the population of %(base)s.")
            % {"base": report.base_year}
        )
    return lines


def sheets(report: Report) -> list[exports.Sheet]:
    """The XLSX workbook; the CSV is its first sheet. Both are written by ``lotse.core.exports``
    (formula-safe cells, German Excel dialect)."""
    return [
        exports.Sheet(_("Figures"), figure_header(), figure_rows(report)),
        exports.Sheet(_("Forecast"), forecast_header(report), forecast_rows(report)),
        exports.Sheet(_("Commuting"), flow_header(), flow_rows(report)),
        exports.Sheet(_("Method"), [_("Notes")], ([line] for line in method_lines(report))),
    ]
