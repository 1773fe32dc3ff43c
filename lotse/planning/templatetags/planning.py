from django import template
from django.http import QueryDict
from django.utils.formats import number_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from lotse.core.disclosure import HIDDEN_TITLE, Figure
from lotse.planning.report import CommuteRow, ForecastRow, Row
from lotse.planning.svg import BarChart, ChoroplethMap

register = template.Library()


@register.filter
def figure(value: object) -> str:
    """A figure as shown: '–' for none, a hidden count as the privacy mark with its
    explanation (``lotse.core.disclosure``), numbers localised."""
    if value is None:
        return "–"
    if isinstance(value, Figure):
        if value.hidden:
            return format_html('<abbr class="suppressed" title="{}">{}</abbr>', HIDDEN_TITLE, value)
        return str(value)
    if isinstance(value, float):
        return number_format(value, 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return _grouped(value)
    return str(value)


def _grouped(value: int) -> str:
    """A whole number with the language's thousands separator (2.174 in German), as every
    count on these pages is shown; below 1,000 there is nothing to group."""
    return str(value) if -1000 < value < 1000 else number_format(value, force_grouping=True)


@register.filter
def signed(value: object) -> str:
    """A balance with its sign; negative means seats are missing."""
    if value is None:
        return "–"
    if isinstance(value, int):
        shown = _grouped(abs(value))
        return f"+{shown}" if value > 0 else f"−{shown}" if value < 0 else shown
    return str(value).replace("-", "−")


# The two SVG pictures are drawn here rather than in templates: a big city's map and charts
# have thousands of attributes, and the template engine took ~40% of a dashboard's CPU time
# to fill them. All text is escaped; numbers come from ``svg`` as floats.


@register.simple_tag
def bar_chart_svg(chart: BarChart, chart_id: str, title: str, part: int = 0) -> SafeString:
    """A grouped horizontal bar chart (``svg.bar_chart``) with its legend; ``part``: the
    number of a printed chart's part, which makes its id unique."""
    if part:
        chart_id = f"{chart_id}-{part}"
    h = chart.height
    parts = [
        f'<svg class="bar-chart" id="{escape(chart_id)}" viewBox="0 0 {chart.width} {h}" '
        f'width="{chart.width}" height="{h}" role="img" aria-labelledby="{escape(chart_id)}-title"'
        f' xmlns="http://www.w3.org/2000/svg"><title id="{escape(chart_id)}-title">'
        f"{escape(title)}</title>"
    ]
    for x, label in chart.ticks:
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="14" y2="{h}" stroke="#c9d2da"/><text x="{x}" y="10" '
            f'class="tick" text-anchor="middle" fill="#4a5560">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{chart.zero_x}" x2="{chart.zero_x}" y1="14" y2="{h}" stroke="#1b1f24"/>'
    )
    for row in chart.rows:
        parts.append(
            f'<text x="{chart.category_x}" y="{row.label_y}" class="category" text-anchor="end"'
            f' fill="#1b1f24">{escape(row.label)}</text>'
        )
        for bar in row.bars:
            parts.append(
                f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}" '
                f'fill="{bar.colour}"><title>{escape(bar.title)}</title></rect><text '
                f'x="{bar.label_x}" y="{bar.text_y}" class="value" text-anchor="{bar.anchor}" '
                f'fill="#1b1f24">{escape(bar.label)}</text>'
            )
    parts.append('</svg><ul class="planning-legend" aria-hidden="true">')
    for series in chart.series:
        parts.append(
            '<li><svg width="14" height="10" focusable="false"><rect width="14" height="10" '
            f'fill="{series.colour}"/></svg> {escape(series.name)}</li>'
        )
    parts.append("</ul>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


@register.simple_tag(takes_context=True)
def district_map_svg(
    context: template.Context, chart: ChoroplethMap, title: str, links: bool = False
) -> SafeString:
    """The choropleth (``svg.choropleth``); with ``links`` every district filters the page
    whose address (a ``QueryDict``) is ``map_query`` in the context (``pages.render``)."""
    params: QueryDict = context["map_query"].copy() if links else QueryDict()
    no_figures = escape(_("no figures"))
    parts = [
        f'<svg class="choropleth" viewBox="0 0 {chart.width} {chart.height}" width="{chart.width}"'
        f' height="{chart.height}" role="group" aria-labelledby="map-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="map-title">{escape(title)}</title>'
    ]
    for shape in chart.shapes:
        name = escape(shape.district.name)
        value = no_figures if shape.value is None else figure(shape.value)
        stroke = '#1b1f24" stroke-width="3' if shape.selected else '#ffffff" stroke-width="1'
        path = (
            f'<path d="{shape.path}" fill="{shape.fill}" stroke="{stroke}" '
            f'data-district="{shape.district.pk}"><title>{name}: {value}</title></path>'
        )
        if links:
            params["district"] = str(shape.district.pk)
            label = (
                no_figures
                if shape.value is None
                else escape(
                    _("%(value)s seats per 100 children wanting a place") % {"value": value}
                )
            )
            path = (
                f'<a href="?{escape(params.urlencode())}#map-heading" aria-label="{name}: '
                f'{label}">{path}</a>'
            )
        parts.append(path)
    halo = (
        ' stroke="#ffffff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"'
        if links
        else ""
    )
    for shape in chart.shapes:
        if not links:
            # The printed map (WeasyPrint knows no paint-order): the halo is a white copy
            # of the name drawn first, so names stay readable on dark fills.
            parts.append(
                f'<text x="{shape.label_x}" y="{shape.label_y}" class="map-label" '
                f'text-anchor="middle" fill="#ffffff" stroke="#ffffff" stroke-width="3" '
                f'stroke-linejoin="round" aria-hidden="true">{escape(shape.district.name)}</text>'
            )
        parts.append(
            f'<text x="{shape.label_x}" y="{shape.label_y}" class="map-label" '
            f'text-anchor="middle" fill="#1b1f24"{halo} aria-hidden="true">'
            f"{escape(shape.district.name)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


# The tables' rows, likewise: ~12,000 cells for a city of 96 districts took most of a
# dashboard's remaining time in the template engine. Names are escaped; figures come from
# ``figure`` (numbers, or the escaped privacy mark) and ``signed``.


def _cell(value: object, css: str = "num") -> str:
    return f'<td class="{css}">{conditional_escape(figure(value))}</td>'


def _balance(balance: int | None) -> str:
    missing = balance is not None and balance < 0
    return f'<td class="num{" missing" if missing else ""}">{escape(signed(balance))}</td>'


def _figures_row(r: Row, name: str | None = None, mixed: bool = False) -> str:
    total = ' class="total"' if r.is_total else ""
    # Places in mixed groups and the children under 3 they hold, where the table shows them.
    extra = f"{_cell(r.mixed_seats)}{_cell(r.mixed_under3)}" if mixed else ""
    return (
        f'<tr{total}><th scope="row">{escape(r.name if name is None else name)}</th>'
        f"{_cell(r.seats)}{_cell(r.children)}{_cell(r.coverage)}"
        f"{_cell(r.demand)}{_balance(r.balance)}{_cell(r.applicants)}{_cell(r.placements)}"
        f"{_cell(r.unmet)}{_cell(r.wait_days)}{extra}</tr>"
    )


@register.simple_tag
def figures_rows(
    rows: list[Row], total: Row | None = None, total_name: str = "", mixed: object = False
) -> SafeString:
    """The rows of a figures table (``_district_table.html``), with an optional total row;
    ``mixed``: with the two columns of places in mixed groups."""
    parts = [_figures_row(r, mixed=bool(mixed)) for r in rows]
    if total is not None:
        parts.append(_figures_row(total, total_name, mixed=bool(mixed)))
    return mark_safe("\n".join(parts))  # noqa: S308 - names escaped, figures from figure()


@register.simple_tag
def forecast_rows(rows: list[ForecastRow], district: object, total_name: str) -> SafeString:
    """The forecast table's rows: every district and the total, or the chosen district."""
    chosen = str(getattr(district, "pk", "")) if district else None
    parts = []
    for row in rows:
        if chosen is not None and row.key != chosen:
            continue
        total = ' class="total"' if row.is_total else ""
        name = total_name if row.is_total else row.name
        cells = "".join(
            f"{_cell(children)}{_cell(demand)}{_balance(balance)}"
            for children, demand, balance in row.years
        )
        parts.append(
            f'<tr{total}><th scope="row">{escape(name)}</th>{_cell(row.seats)}{cells}</tr>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - names escaped, figures from figure()


@register.simple_tag
def commuting_rows(rows: list[CommuteRow]) -> SafeString:
    """Placements per home district: own district, elsewhere, the most frequent others."""
    parts = []
    for c in rows:
        destinations = ", ".join(
            f"{escape(place)} ({conditional_escape(figure(n))})" for place, n in c.destinations
        )
        parts.append(
            f'<tr><th scope="row">{escape(c.name)}</th>{_cell(c.placed)}{_cell(c.own)}'
            f"{_cell(c.elsewhere)}{_cell(c.share_elsewhere)}<td>{destinations}</td></tr>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - names escaped, figures from figure()
