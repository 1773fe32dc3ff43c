"""The printed report (``report_pdf.html``): pages are filled, charts keep readable labels."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from lotse.accounts.models import Organisation, Role
from lotse.directory.models import District
from lotse.planning import svg

pytestmark = pytest.mark.django_db

#: The report's page margin (``@page`` in report_pdf.html), in PDF points.
MARGIN = 14 / 25.4 * 72


def page_fill(page) -> float:
    """How far down its printable area a page is used: 0 empty, 1 to the bottom margin.

    Measured from the text of the page's flow (WeasyPrint draws it in the page's top-down
    coordinate system, ``cm[3] < 0``); the text inside a map or chart sits in form XObjects
    whose placement pypdf does not report, but every drawing is followed in the flow by its
    legend. The page number in the bottom margin is left out."""
    top = float(page.mediabox.height) - MARGIN
    lowest = [top]

    def visit(text, cm, tm, font, size):
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip() and cm[3] < 0 and y > MARGIN:
            lowest.append(y)

    page.extract_text(visitor_text=visit)
    return (top - min(lowest)) / (top - MARGIN)


def test_printed_report_has_no_near_empty_pages(
    flensburg, make_org, make_user, make_facility, client_for
):
    """Flensburg's 13 districts, as in the demo: before, forced page breaks and a map that
    did not fit beside the title left pages less than half used (the title page at 40 %,
    the table of age bands alone at 44 %) and the report ran to 9 pages."""
    districts = District.objects.filter(municipality="Flensburg").order_by("name")
    for n, district in enumerate(districts):
        make_facility(
            district=district, seats_under3=10 + 3 * n, seats_over3=40 + 7 * n, seats_school=n
        )
    jugendamt = make_org(Organisation.Kind.JUGENDAMT, municipality="Flensburg")
    planner = make_user(Role.PLANNER, jugendamt)
    response = client_for(planner).get(
        reverse("planning:report_pdf"), {"year": "2021"}, headers={"accept-language": "de"}
    )
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.content)).pages
    fills = [round(page_fill(page), 2) for page in pages]
    assert len(pages) <= 7, fills
    # Every page but the last is at least half used.
    assert all(fill >= 0.5 for fill in fills[:-1]), fills
    text = "".join(page.extract_text() for page in pages)
    assert "Westliche Höhe" in text and "Wie die Zahlen entstehen" in text


def test_chart_labels_in_the_languages_number_format():
    chart_series = [svg.Series("Plätze", "#2166ac", [1300, 2.5, None])]
    with translation.override("de"):
        chart = svg.bar_chart(["A", "B", "C"], chart_series)
    assert [bar.label for row in chart.rows for bar in row.bars] == ["1.300", "2,5", "–"]
    assert "1.000" in [label for _, label in chart.ticks]
    with translation.override("en"):
        chart = svg.bar_chart(["A"], [svg.Series("Seats", "#000", [-1300])])
    assert chart.rows[0].bars[0].label == "−1,300"


def test_only_negative_bars_leave_room_right_of_zero():
    # The zero tick's label and a missing value's "–" are drawn right of the zero line.
    chart = svg.bar_chart(["A", "B"], [svg.Series("2028", "#000", [-184, None])])
    assert chart.zero_x + 12 <= chart.width


def test_printed_chart_of_many_districts_comes_in_parts_on_one_scale():
    names = [f"District {n}" for n in range(40)]
    values = [svg.Series("Seats", "#000", [10 * n for n in range(40)])]
    parts = svg.bar_chart_parts(names, values, 23)
    # 40 districts at most 23 a part: two even parts, not 23 and 17.
    assert [len(part.rows) for part in parts] == [20, 20]
    assert [row.label for part in parts for row in part.rows] == names
    # One scale: the same value is a bar of the same length in both parts.
    assert parts[0].ticks == parts[1].ticks
    assert parts[0].rows[0].bars[0].x == parts[1].rows[0].bars[0].x
    assert svg.bar_chart_parts([], values, 23) == []
