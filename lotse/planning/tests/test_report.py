"""Every figure of the report on the Testhausen fixture, against values computed by hand
(see ``conftest.testhausen`` for the children, applications and offers)."""

import datetime as dt

import pytest

from lotse.core.disclosure import MARK
from lotse.planning import selectors
from lotse.planning.report import Filters, build_report, year_choices
from lotse.planning.tests.conftest import TOWN

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 1)
DEMAND = {"u3": 40, "ue3": 90, "school": 50}


def report(band="all", district=None, year=2025):
    return build_report(
        Filters(municipality=TOWN, year=year, band=band, district=district, demand=DEMAND),
        today=TODAY,
    )


def row(rep, name):
    return next(r for r in rep.rows if name in (r.name, r.key))


def v(*figures):
    """The true values of figures (what the hand computation gives), hidden or not."""
    values = tuple(getattr(f, "value", f) for f in figures)
    return values[0] if len(values) == 1 else values


def shown(*figures):
    """What a reader sees: the number, or the mark for a hidden count."""
    values = tuple(
        str(f) if getattr(f, "hidden", False) else getattr(f, "value", f) for f in figures
    )
    return values[0] if len(values) == 1 else values


def test_seats_per_district_and_band(testhausen):
    seats = selectors.seats_by_district(TOWN)
    # Places in mixed groups (1 to 6 years) apart, under "mixed" (Testhausen has none).
    assert seats[testhausen.nord.pk] == {"u3": 15, "ue3": 30, "school": 20, "mixed": 0}
    assert seats[testhausen.sued.pk] == {"u3": 12, "ue3": 40, "school": 0, "mixed": 0}


def test_raw_demand_counts_children_not_applications(testhausen):
    demand = selectors.demand_by_district(TOWN, 2025, today=TODAY)
    nord, sued = testhausen.nord.pk, testhausen.sued.pk
    # Nord u3: c1 (claim, offer before start) and c2 (under one: no claim).
    assert demand[(nord, "u3")] == {"applicants": 2, "unmet": 0, "waited": 1, "wait_days": 30.0}
    # Nord ue3: c3 (no offer), c4 (offer after the desired start), c5 (offer in time).
    assert demand[(nord, "ue3")]["applicants"] == 3
    assert demand[(nord, "ue3")]["unmet"] == 2
    assert demand[(nord, "ue3")]["waited"] == 2
    assert demand[(nord, "ue3")]["wait_days"] == pytest.approx((74 + 30) / 2)
    # Süd u3: c6 once (its withdrawn application is not counted); c7 is a draft.
    assert demand[(sued, "u3")] == {"applicants": 1, "unmet": 0, "waited": 1, "wait_days": 32.0}
    # c8 gave no home district.
    assert demand[(None, "ue3")] == {"applicants": 1, "unmet": 1, "waited": 0, "wait_days": None}
    assert len(demand) == 4  # nothing from Andersstadt or from 2024


def test_unmet_claims_wait_until_the_desired_month_has_begun(testhausen):
    demand = selectors.demand_by_district(TOWN, 2025, today=dt.date(2025, 5, 15))
    # Only c4 (desired start March) is due by mid-May; c3 and c8 want to start in August.
    assert demand[(testhausen.nord.pk, "ue3")]["unmet"] == 1
    assert demand[(None, "ue3")]["unmet"] == 0


def test_placements_and_commuting(testhausen):
    nord, sued = testhausen.nord.pk, testhausen.sued.pk
    counts = selectors.placement_counts(TOWN, 2025)
    # c1 Nord → A (Nord), c4 Nord → C (Süd), c6 Süd → C (Süd); c5 declined.
    assert counts == {(nord, nord, "u3"): 1, (nord, sued, "ue3"): 1, (sued, sued, "u3"): 1}
    assert selectors.placements_by_district(counts) == {
        (nord, "u3"): 1,
        (sued, "ue3"): 1,
        (sued, "u3"): 1,
    }
    assert selectors.commuting(counts) == {(nord, nord): 1, (nord, sued): 1, (sued, sued): 1}
    assert selectors.commuting(counts, "ue3") == {(nord, sued): 1}


def test_district_rows_all_bands(testhausen):
    rep = report()
    nord, sued = row(rep, "Nord"), row(rep, "Süd")
    # Nord: seats 15 + 30 + 20; children 30 + 30 + 80; demand 12 + 27 + 40.
    assert shown(nord.seats, nord.children, nord.demand, nord.balance) == (65, 140, 79, -14)
    assert nord.coverage == 46.4  # 65 / 140
    assert nord.demand_covered == 82.3  # 65 / 79
    assert v(nord.applicants) == 5  # c1–c5
    assert v(nord.unmet) == 2  # c3, c4
    assert v(nord.placements) == 1  # c1 at Kita A
    assert nord.wait_days == pytest.approx(44.7)  # (30 + 74 + 30) / 3
    # Süd: 0–7 = 70 and 0–18 = 180 with equal births → 30, 30 and 10 + 7 × 10 = 80.
    assert shown(sued.seats, sued.children, sued.demand, sued.balance) == (52, 140, 79, -27)
    assert sued.coverage == 37.1
    assert v(sued.applicants, sued.unmet, sued.placements) == (1, 0, 2)
    # One child waited: a mean of days on fewer than 3 children is not shown ("–"), never
    # as a count mark, which in a column of days would read as "under three days".
    assert sued.wait_days is None
    unknown = row(rep, "unknown")  # no home district given
    assert shown(unknown.seats, unknown.children) == (0, 0)
    assert v(unknown.applicants) == 1
    total = rep.total
    assert shown(total.seats, total.children, total.demand, total.balance) == (117, 280, 158, -41)
    assert total.coverage == 41.8  # 117 / 280
    assert v(total.applicants, total.unmet, total.placements) == (7, 3, 3)
    assert total.wait_days == 41.5  # (30 + 74 + 30 + 32) / 4
    # Small counts are hidden, and so is what would give them away: Nord's 5 applicants and
    # the total of 7 cannot both be shown, or Süd's 1 and the unknown 1 would be 7 − 5 = 1 + 1.
    assert shown(nord.unmet, nord.placements, sued.applicants, unknown.applicants) == (MARK,) * 4
    assert nord.applicants.hidden or total.applicants.hidden
    assert shown(sued.unmet) == 0  # a true zero is shown as 0


def test_band_rows_and_single_band(testhausen):
    rep = report(band="u3")
    nord = row(rep, "Nord")
    assert shown(nord.seats, nord.children, nord.demand, nord.balance) == (15, 30, 12, 3)
    assert (nord.coverage, nord.demand_covered) == (50.0, 125.0)
    assert shown(nord.applicants) == MARK  # c1, c2
    by_band = {r.key: r for r in rep.by_band}
    assert v(by_band["u3"].seats, by_band["u3"].children, by_band["u3"].applicants) == (27, 60, 3)
    assert v(by_band["ue3"].seats, by_band["ue3"].children, by_band["ue3"].applicants) == (
        70,
        60,
        4,
    )
    assert v(by_band["ue3"].unmet) == 3  # c3, c4, c8
    assert by_band["ue3"].coverage == 116.7  # 70 / 60
    assert shown(by_band["school"].seats, by_band["school"].children) == (20, 160)
    assert shown(by_band["school"].applicants) == 0
    assert v(by_band["all"].applicants) == 7


def test_district_filter_keeps_municipality_totals(testhausen):
    rep = report(district=testhausen.sued)
    assert [r.name for r in rep.district_rows] == ["Süd"]
    assert rep.summary.name == "Süd"
    assert rep.total.seats == 117


def test_forecast(testhausen):
    rep = report()
    assert rep.forecast_years == [2026, 2027, 2028]
    nord = next(r for r in rep.forecast if r.name == "Nord")
    # 2026, Nord: u3 = 10 births (mean 2023–25) + 10 + 8 = 28; ue3 = 12 + 10 + 10 = 32;
    # school = 10 + 7 × 10 = 80 → 140 children; demand 11.2 + 28.8 + 40 = 80; 65 − 80 = −15.
    assert nord.seats == 65
    assert shown(*nord.years[0]) == (140, 80, -15)
    sued = next(r for r in rep.forecast if r.name == "Süd")
    assert shown(*sued.years[0]) == (140, 79, -27)  # births constant: like 2025
    total = rep.forecast[-1]
    assert total.is_total and total.seats == 117
    assert shown(*total.years[0]) == (280, 159, -42)  # 80 + 79 demand; 117 − 159


def test_flows(testhausen):
    flows = [(f.home, f.place, shown(f.children), f.same_district) for f in report().flows]
    assert flows == [
        ("Nord", "Nord", MARK, True),
        ("Nord", "Süd", MARK, False),
        ("Süd", "Süd", MARK, True),
    ]


def test_years_after_the_data_are_forecast(testhausen):
    rep = report(year=2026)
    assert rep.is_estimate and rep.base_year == 2025
    assert shown(row(rep, "Nord").children) == 140
    assert shown(rep.total.applicants) == 0
    early = report(year=2020)
    assert early.base_year is None and row(early, "Nord").coverage is None


def test_year_choices(testhausen):
    years = year_choices(TOWN, today=dt.date(2026, 3, 1))
    assert years == [2024, 2025, 2026]


def test_figures_are_computed_once_per_change_of_the_data(
    testhausen, monkeypatch, django_capture_on_commit_callbacks
):
    from lotse.applications.models import Application

    computed = []
    original = selectors.demand_by_district

    def counting(*args, **kwargs):
        computed.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "demand_by_district", counting)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)  # the worker's day
    first = report()
    assert v(first.total.applicants) == 7 and not first.figures_outdated
    assert len(computed) == 1  # the first page of a year computes and stores them
    assert v(report().total.applicants) == 7
    assert len(computed) == 1  # every later page reads the stored figures

    # A change of status (updated_at) makes the stored figures outdated: the page says so
    # and queues one recompute, which the worker runs after the commit.
    app = Application.objects.get(child__first_name="c3")
    app.status = Application.Status.WITHDRAWN
    app.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outdated = report()
        again = report()
    assert outdated.figures_outdated and v(outdated.total.applicants) == 7
    assert again.figures_outdated
    assert len(callbacks) == 1  # one recompute per data version, however many visits
    fresh = report()
    assert not fresh.figures_outdated and v(fresh.total.applicants) == 6
    assert fresh.figures_as_of >= first.figures_as_of
    # the recompute covers every year with applications, once
    assert [args[1] for args in computed] == [2025, 2024, 2025]


def test_refresh_task_recomputes_every_stored_year(testhausen, monkeypatch):
    from lotse.planning.models import FigureSnapshot
    from lotse.planning.tasks import refresh_figures_task

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)
    report(year=2025)
    report(year=2026)
    # 2024 and 2025 have applications; 2026 has none but was shown, so it stays current too.
    assert refresh_figures_task.call(municipality=TOWN) == [2024, 2025, 2026]
    assert FigureSnapshot.objects.filter(municipality=TOWN).count() == 3


def test_dashboard_opens_on_a_year_with_data(testhausen):
    from lotse.planning.report import opening_year

    choices = year_choices(TOWN, today=dt.date(2027, 3, 1))
    assert 2027 in choices
    # Testhausen's applications start in 2024 and 2025; 2027 (today) has none.
    assert opening_year(TOWN, choices, today=dt.date(2027, 3, 1)) == 2025
    assert opening_year(TOWN, choices, today=dt.date(2024, 6, 1)) == 2024
    assert opening_year("Nowhere", [2026], today=dt.date(2026, 1, 1)) == 2026


def test_refresh_protects_the_tables_so_a_visit_after_a_change_computes_no_suppression(
    testhausen, monkeypatch
):
    """Secondary suppression costs seconds for a city: the background refresh pays for it,
    and a page (any web process, nothing in its cache) only reads the stored tables."""
    from django.core.cache import cache

    from lotse.planning import protection, services
    from lotse.planning.models import ProtectedFigures

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)
    expected = report()
    ProtectedFigures.objects.all().delete()
    cache.clear()
    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    assert ProtectedFigures.objects.filter(scope__startswith=f"{TOWN}:2025:").exists()
    cache.clear()  # another web process, or the shared cache emptied

    def must_not_run(*args, **kwargs):
        raise AssertionError("a page protected a table itself")

    for name in ("_children", "_applicants", "_placements"):
        monkeypatch.setattr(protection, name, must_not_run)
    again = report()
    for mine, theirs in zip(again.rows, expected.rows, strict=True):
        assert shown(mine.children, mine.applicants, mine.placements, mine.unmet) == shown(
            theirs.children, theirs.applicants, theirs.placements, theirs.unmet
        )
    assert shown(again.total.applicants) == shown(expected.total.applicants)


def test_stored_protection_follows_the_counts_never_a_stale_table(testhausen, monkeypatch):
    """The stored table is found by a fingerprint of its counts: other counts, other table."""
    from django.core.cache import cache

    from lotse.core.disclosure import Figure
    from lotse.planning import protection

    districts = [1, 2]
    few = {1: {"u3": 40.0, "ue3": 2.0, "school": 50.0}, 2: {"u3": 30.0, "ue3": 60.0}}
    many = {1: {"u3": 40.0, "ue3": 20.0, "school": 50.0}, 2: {"u3": 30.0, "ue3": 60.0}}
    first = protection.children_table(districts, few, scope="T:2025")
    cache.clear()
    second = protection.children_table(districts, many, scope="T:2025")
    assert first.get(district=1, band="ue3").hidden
    assert second.get(district=1, band="ue3") == Figure(20)
    cache.clear()
    # read back from the table (not the cache): the same figures as computed
    assert protection.children_table(districts, few, scope="T:2025").get(
        district=1, band="ue3"
    ) == first.get(district=1, band="ue3")


def test_protected_table_survives_json_with_keys_of_published_sums():
    from lotse.core.disclosure import Figure, ProtectedTable

    table = ProtectedTable(
        {
            (): Figure(12),
            (("band", "u3"), ("home", None)): Figure(2, hidden=True),
            (("sum", ("away", 3, None)),): Figure(7),
            (("unmet", True),): Figure(0),
        }
    )
    import json

    back = ProtectedTable.from_json(json.loads(json.dumps(table.to_json())))
    assert back.total == Figure(12)
    assert back.get(home=None, band="u3") == Figure(2, hidden=True)
    assert back.get(sum=("away", 3, None)) == Figure(7)
    assert back.get(unmet=True) == Figure(0)
