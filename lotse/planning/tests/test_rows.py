"""The planning tables' rows are drawn in Python (templatetags/planning.py): German number
conventions, escaped names, the privacy mark for hidden counts."""

from django.utils import translation

from lotse.core.disclosure import MARK, Figure
from lotse.planning.report import CommuteRow, ForecastRow, Row
from lotse.planning.templatetags.planning import (
    commuting_rows,
    figures_rows,
    forecast_rows,
    signed,
)


def _row(name: str, **figures) -> Row:
    values = dict(
        key="1",
        name=name,
        seats=2174,
        children=Figure(2430),
        coverage=89.5,
        demand=Figure(1200),
        balance=-1234,
        applicants=Figure(2, hidden=True),
        placements=Figure(0),
        unmet=Figure(15),
        wait_days=None,
    )
    return Row(**(values | figures))


def test_rows_show_german_numbers_the_mark_and_escaped_names():
    with translation.override("de"):
        html = figures_rows([_row("<b>Nord</b>")], _row("Summe", is_total=True), "Ganze Stadt")
    assert "&lt;b&gt;Nord&lt;/b&gt;" in html and "<b>" not in html
    assert '<td class="num">2.174</td>' in html  # seats grouped like every count
    assert '<td class="num">2.430</td>' in html and '<td class="num">89,5</td>' in html
    assert '<td class="num missing">−1.234</td>' in html
    assert 'title="' in html and f">{MARK}</abbr>" in html  # hidden count: the mark only
    assert '<tr class="total"><th scope="row">Ganze Stadt</th>' in html
    assert html.count("<tr") == 2


def test_signed_balances():
    with translation.override("de"):
        assert (signed(1500), signed(-7), signed(0), signed(None)) == ("+1.500", "−7", "0", "–")


def test_forecast_rows_only_the_chosen_district_and_commuting_destinations():
    rows = [
        ForecastRow("1", "Nord", 10, [(Figure(5), Figure(4), 6)]),
        ForecastRow("2", "Süd", 20, [(Figure(1, hidden=True), Figure(0), None)]),
        ForecastRow("total", "", 30, [(Figure(6), Figure(4), 26)], is_total=True),
    ]

    class District:
        pk = 2

    with translation.override("de"):
        everything = forecast_rows(rows, None, "Ganze Stadt")
        chosen = forecast_rows(rows, District(), "Ganze Stadt")
        commuting = commuting_rows(
            [
                CommuteRow(
                    "1", "Nord", Figure(9), Figure(5), Figure(4), 44.4, [("Süd & Ost", Figure(4))]
                )
            ]
        )
    assert everything.count("<tr") == 3 and "Ganze Stadt" in everything
    assert chosen.count("<tr") == 1 and "Süd" in chosen and MARK in chosen
    assert "Süd &amp; Ost (4)" in commuting and '<td class="num">44,4</td>' in commuting
