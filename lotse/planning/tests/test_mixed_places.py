"""Places in mixed groups (1 to 6 years) in the planning report: shown apart from the seats of
the age bands, with the children they hold (a child under 3 counts the municipality's weight).
"""

import csv
import io

import pytest
from django.urls import reverse

from lotse.allocation import services as allocation
from lotse.planning.report import Filters, build_report
from lotse.planning.tests.conftest import TOWN

pytestmark = pytest.mark.django_db
QUERY = {"year": "2025", "demand_u3": "40", "demand_ue3": "90", "demand_school": "50"}


@pytest.fixture
def mixed(testhausen, make_facility, jugendamt, planner):
    """15 mixed-group places in Süd; the Jugendamt's rule: a child under 3 counts 3 places."""
    make_facility(
        name="Kita M", district=testhausen.sued, seats_under3=0, seats_over3=0, seats_mixed=15
    )
    allocation.rules_save(
        actor=planner,
        organisation=jugendamt,
        name="Testhausen",
        criteria=["age"],
        mixed_under3_weight=3,
        is_active=True,
    )
    return testhausen


def test_report_counts_mixed_places_apart_with_the_children_they_hold(mixed):
    report = build_report(Filters(municipality=TOWN, year=2025))
    assert report.mixed_weight == 3
    assert (report.total.mixed_seats, report.total.mixed_under3) == (15, 5)
    rows = {r.name: r for r in report.rows}
    assert (rows["Süd"].mixed_seats, rows["Nord"].mixed_seats) == (15, 0)
    # The band seats stay the bands' (Süd: Kita C's 12 + 40); the mixed places are not in them.
    assert rows["Süd"].seats == 52
    under3, over3, school, all_bands = report.by_band
    assert (under3.mixed_seats, over3.mixed_seats, all_bands.mixed_seats) == (15, 15, 15)
    assert school.mixed_seats == 0  # mixed groups end at school entry


def test_dashboard_and_csv_label_the_mixed_places(mixed, planner, client_for):
    client = client_for(planner)
    html = client.get(
        reverse("planning:dashboard"), QUERY, headers={"accept-language": "en"}
    ).content.decode()
    assert (
        "places in mixed groups (1 to 6 years), not in the seats: they hold 15 children from 3, "
        "or 5 under 3 (a child under 3 counts 3 places)"
    ) in html
    assert "Places in mixed groups (1 to 6 years)</th>" in html
    response = client.get(reverse("planning:export_csv"), QUERY, headers={"accept-language": "en"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-2:] == [
        "Places in mixed groups (1 to 6 years)",
        "Children under 3 the mixed-group places hold at most",
    ]
    sued_u3 = next(r for r in rows if r[1] == "Süd" and r[2] == "Under 3")
    assert sued_u3[-2:] == ["15", "5"]
    sued_school = next(r for r in rows if r[1] == "Süd" and r[2].startswith("School"))
    assert sued_school[-2:] == ["0", "0"]
    data = client.get("/api/v1/planning/figures", QUERY).json()
    assert data["mixed_weight"] == 3 and data["total"]["mixed_seats"] == 15
