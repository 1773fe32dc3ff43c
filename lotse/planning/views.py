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

from lotse.core import exports as core_exports
from lotse.core.pdf import pdf_response, render_pdf

from . import exports, pages
from .forms import PlanningFilterForm
from .report import ALL, Report, build_report, year_choices
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


@planner_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = PlanningFilterForm(
        request.GET,
        municipalities=request.planning_municipalities,  # type: ignore[attr-defined]
        years_for=year_choices,
    )
    context: dict[str, Any] = {"form": form, "query": request.GET.urlencode()}
    if form.is_valid():
        # The figures' HTML, stored once per change of what it shows (``pages``).
        context["figures"] = pages.dashboard(form.to_filters(form.default_year), request.GET)
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
    context = pages.context_for(report, printed=True)
    context["method"] = exports.method_lines(report)
    return pdf_response(render_pdf("planning/report_pdf.html", context), _filename(report, "pdf"))
