"""The Jugendamt's planning dashboard and its exports. Only planners and administrators of a
Jugendamt see them; only aggregated, suppressed figures leave (see ``report.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lotse.core import exports as core_exports
from lotse.core.disclosure import LEGEND
from lotse.core.pdf import pdf_response, render_pdf

from . import exports, svg
from .forms import PlanningFilterForm
from .population import BANDS
from .report import (
    ALL,
    BAND_LABELS,
    DEFAULT_DEMAND,
    Report,
    build_report,
    year_choices,
)
from .selectors import planning_municipalities

View = Callable[..., HttpResponse]


def planner_required(view: View) -> View:
    """Anonymous → login; no planner/admin role at a Jugendamt → 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        municipalities = planning_municipalities(request.user)  # type: ignore[arg-type]
        if not municipalities:
            raise PermissionDenied
        wanted = request.GET.get("municipality")
        if wanted and wanted not in municipalities:
            raise Http404  # another Jugendamt's municipality
        request.planning_municipalities = municipalities  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def _report(request: HttpRequest) -> tuple[PlanningFilterForm, Report | None]:
    form = PlanningFilterForm(
        request.GET,
        municipalities=request.planning_municipalities,  # type: ignore[attr-defined]
        years_for=year_choices,
    )
    if not form.is_valid():
        return form, None
    return form, build_report(form.to_filters(form.default_year))


#: Districts per printed chart: a part stays at least ~80 % of its natural size on an A4
#: landscape page, so its labels stay about as large as the tables' text (``report_pdf``).
PDF_CHART_ROWS = {"supply": 23, "forecast": 16}


def _charts(report: Report, *, printed: bool = False) -> dict[str, Any]:
    """Map and charts; ``printed``: each chart as a list of parts (``svg.bar_chart_parts``)."""
    rows = report.district_rows
    names = [row.name for row in rows if row.district_id]
    supply = [
        svg.Series(_("Seats"), "#2166ac", [r.seats for r in rows if r.district_id]),
        svg.Series(_("Assumed demand"), "#ef8a62", [r.demand.shown for r in rows if r.district_id]),
    ]
    forecast_rows = [r for r in report.forecast if not r.is_total]
    if report.filters.district is not None:
        forecast_rows = [r for r in forecast_rows if r.key == str(report.filters.district.pk)]
    forecast = [
        svg.Series(
            str(year),
            colour,
            [r.years[index][2] for r in forecast_rows],
        )
        for index, (year, colour) in enumerate(
            zip(report.forecast_years, ["#92c5de", "#4393c3", "#2166ac"], strict=False)
        )
    ]
    forecast_names = [r.name for r in forecast_rows]
    values = {r.district_id: r.demand_covered for r in report.rows if r.district_id}
    selected = report.filters.district.pk if report.filters.district else None
    charts: dict[str, Any] = {
        "map": svg.choropleth(report.districts, values, selected),
        "legend": svg.legend(),
    }
    if printed:
        charts["supply_charts"] = svg.bar_chart_parts(names, supply, PDF_CHART_ROWS["supply"])
        charts["forecast_charts"] = svg.bar_chart_parts(
            forecast_names, forecast, PDF_CHART_ROWS["forecast"]
        )
    else:
        charts["supply_chart"] = svg.bar_chart(names, supply) if names else None
        charts["forecast_chart"] = (
            svg.bar_chart(forecast_names, forecast) if forecast_rows else None
        )
    return charts


def _context(report: Report, *, printed: bool = False) -> dict[str, Any]:
    return {
        "report": report,
        "filters": report.filters,
        "band_labels": BAND_LABELS,
        "bands": list(BANDS),
        "all_band": ALL,
        "default_demand": DEFAULT_DEMAND,
        "privacy_legend": LEGEND,
        **_charts(report, printed=printed),
    }


@planner_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    context: dict[str, Any] = {"form": form, "query": request.GET.urlencode()}
    if report is not None:
        context.update(_context(report))
    return render(request, "planning/dashboard.html", context)


def _bad_filters(form: PlanningFilterForm) -> HttpResponse:
    messages = [
        f"{form.fields[name].label}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]
    return HttpResponse("\n".join(messages), status=400, content_type="text/plain; charset=utf-8")


def _filename(report: Report, extension: str) -> str:
    band = "" if report.filters.band == ALL else f"-{report.filters.band}"
    district = f"-{report.filters.district.pk}" if report.filters.district else ""
    place = slugify(report.filters.municipality)
    return f"planning-{place}-{report.filters.year}{band}{district}.{extension}"


@planner_required
def export_csv(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return _bad_filters(form)
    return core_exports.csv_response(
        _filename(report, "csv"), exports.figure_header(), exports.figure_rows(report)
    )


@planner_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return _bad_filters(form)
    return core_exports.xlsx_response(_filename(report, "xlsx"), exports.sheets(report))


@planner_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        return _bad_filters(form)
    context = _context(report, printed=True)
    context["method"] = exports.method_lines(report)
    return pdf_response(render_pdf("planning/report_pdf.html", context), _filename(report, "pdf"))
