"""The dashboard's figures as HTML, rendered once per change of what they show.

Rendering a big city's tables, map and charts costs more CPU than reading every stored
figure, so the HTML of the figures is stored (``RenderedDashboard``) under a key made of
everything it rests on: the municipality, the language, the filters and the address (the
map's links carry it), the stored figures' version, the districts, population, births, seats
and mixed-group weight (``report.Inputs``), and the code, templates and translations that
draw it. Any change gives a new key, so stored HTML is never stale, and a page of one
municipality can only ever find HTML of its own municipality.

The background refresh that recomputes the figures after a change (``services.figures_refresh``)
renders the usual views right away (``prerender``): each refreshed year without other
filters and the opening view, in German and English. Any other view is rendered by the first
page that asks for it and stored for the next. What depends on the moment (whether the
figures are outdated, the export links) stays outside the stored HTML.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from lotse.core.disclosure import LEGEND

from . import selectors, svg
from .population import BANDS
from .report import (
    ALL,
    BAND_LABELS,
    DEFAULT_DEMAND,
    Filters,
    Inputs,
    Report,
    build_report,
    opening_year,
    year_choices,
)

#: Languages whose usual views the background refresh renders (the languages of the staff
#: pages); a planner using another language gets the view rendered and stored on first visit.
PRERENDERED_LANGUAGES = ("de", "en")

#: The stored parts: the key figures and everything below the export links.
PARTS = {"head": "planning/_report_head.html", "body": "planning/_report_body.html"}

_APP = Path(__file__).resolve().parent


@functools.cache
def code_version(language: str) -> str:
    """Fingerprint of what draws the HTML: this app's code and templates, the privacy
    legend, the language's compiled translations and Django's version. Read once per process,
    so a deployment with other code or translations never serves HTML of the old one."""
    lotse = _APP.parent
    files = [
        *sorted(p for p in _APP.rglob("*.py") if "tests" not in p.parts),
        *sorted(_APP.glob("templates/**/*.html")),
        lotse / "core" / "disclosure.py",
        *sorted(lotse.glob(f"*/locale/{language}/LC_MESSAGES/django.mo")),
    ]
    digest = hashlib.sha1(django.get_version().encode())
    for path in files:
        digest.update(str(path.relative_to(lotse)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def dashboard_key(
    filters: Filters,
    query: QueryDict,
    language: str,
    inputs: Inputs,
    figures: tuple[str, dt.datetime],
) -> str:
    """The key of a view's stored HTML (see the module's description)."""
    district = filters.district.pk if filters.district is not None else None
    parts = (
        "planning-dashboard-1",
        code_version(language),
        language,
        filters.municipality,
        filters.year,
        filters.band,
        district,
        sorted(filters.demand.items()),
        query.urlencode(),
        inputs.fingerprint(),
        figures[0],
        figures[1].timestamp(),
    )
    return hashlib.sha1(repr(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows below the filters."""

    head: SafeString
    body: SafeString
    #: when the applications, offers and placements shown were counted
    figures_as_of: dt.datetime
    #: the data changed since; a recompute has been asked for
    figures_outdated: bool


def dashboard(filters: Filters, query: QueryDict, *, today: dt.date | None = None) -> Dashboard:
    """The figures of a dashboard view as HTML: stored when rendered before for the same
    inputs, else rendered now and stored. Outdated figures are shown and a recompute is
    queued, as ``report.build_report`` does."""
    from . import services  # services import this module

    today = today or timezone.localdate()
    language = translation.get_language()
    inputs = Inputs.load(filters.municipality)
    figures = selectors.snapshot_version(filters.municipality, filters.year)
    if figures is not None:
        version = selectors.data_version(filters.municipality, today)
        if figures[0] != version:
            services.figures_refresh_later(filters.municipality, version=version)
            # With an immediate task backend (tests, a single process) it is current now.
            figures = selectors.snapshot_version(filters.municipality, filters.year) or figures
        key = dashboard_key(filters, query, language, inputs, figures)
        stored = selectors.rendered_dashboard(key)
        if stored is not None:
            return Dashboard(
                head=mark_safe(stored["head"]),  # noqa: S308 - rendered by render() below
                body=mark_safe(stored["body"]),  # noqa: S308
                figures_as_of=timezone.localtime(figures[1]),
                figures_outdated=figures[0] != version,
            )
    report = build_report(filters, today=today, inputs=inputs)
    html = render(report, query)
    assert report.figures_as_of is not None  # every report reads a snapshot
    key = dashboard_key(
        filters, query, language, inputs, (report.figures_version, report.figures_as_of)
    )
    services.rendered_dashboard_store(filters.municipality, key, language, html)
    return Dashboard(
        head=mark_safe(html["head"]),  # noqa: S308 - rendered from templates just now
        body=mark_safe(html["body"]),  # noqa: S308
        figures_as_of=report.figures_as_of,
        figures_outdated=report.figures_outdated,
    )


def render(report: Report, query: QueryDict) -> dict[str, str]:
    """The stored parts of a view, in the active language; ``query``: the page's address
    (the map's districts link to it with their district)."""
    context = {**context_for(report), "map_query": query}
    return {part: render_to_string(name, context) for part, name in PARTS.items()}


def prerender(municipality: str, years: list[int], *, today: dt.date | None = None) -> int:
    """Render and store the usual views after the figures changed: every year in ``years``
    without other filters (``?year=…``) and the view the dashboard opens on (no filters), in
    each of ``PRERENDERED_LANGUAGES``. Returns how many views were stored."""
    from . import services  # services import this module

    today = today or timezone.localdate()
    inputs = Inputs.load(municipality)
    choices = year_choices(municipality, today)
    opening = opening_year(municipality, choices, today) if choices else None
    stored = 0
    for language in PRERENDERED_LANGUAGES:
        with translation.override(language):
            for year in years:
                filters = Filters(municipality=municipality, year=year)
                report = build_report(filters, today=today, inputs=inputs)
                assert report.figures_as_of is not None
                figures = (report.figures_version, report.figures_as_of)
                queries = [QueryDict(f"year={year}")]
                if year == opening:
                    queries.append(QueryDict())
                for query in queries:
                    key = dashboard_key(filters, query, language, inputs, figures)
                    html = render(report, query)
                    services.rendered_dashboard_store(municipality, key, language, html)
                    stored += 1
    return stored


#: Districts per printed chart: a part stays at least ~80 % of its natural size on an A4
#: landscape page, so its labels stay about as large as the tables' text (``report_pdf``).
PDF_CHART_ROWS = {"supply": 23, "forecast": 16}


def charts(report: Report, *, printed: bool = False) -> dict[str, Any]:
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
    result: dict[str, Any] = {
        "map": svg.choropleth(report.districts, values, selected),
        "legend": svg.legend(),
    }
    if printed:
        result["supply_charts"] = svg.bar_chart_parts(names, supply, PDF_CHART_ROWS["supply"])
        result["forecast_charts"] = svg.bar_chart_parts(
            forecast_names, forecast, PDF_CHART_ROWS["forecast"]
        )
    else:
        result["supply_chart"] = svg.bar_chart(names, supply) if names else None
        result["forecast_chart"] = (
            svg.bar_chart(forecast_names, forecast) if forecast_rows else None
        )
    return result


def context_for(report: Report, *, printed: bool = False) -> dict[str, Any]:
    """The template context of a report's figures (dashboard parts and PDF)."""
    return {
        "report": report,
        "filters": report.filters,
        "band_labels": BAND_LABELS,
        "bands": list(BANDS),
        "all_band": ALL,
        "default_demand": DEFAULT_DEMAND,
        "privacy_legend": LEGEND,
        **charts(report, printed=printed),
    }
