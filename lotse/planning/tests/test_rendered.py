"""The dashboard's figures as stored HTML (``pages``, ``RenderedDashboard``): rendered by the
refresh after a change, never stale, never shown to another municipality or language."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from lotse.accounts.models import Organisation, Role
from lotse.applications.models import Application, Child
from lotse.directory.models import District, Facility
from lotse.planning import pages, services
from lotse.planning.models import PopulationCount, RenderedDashboard
from lotse.planning.report import Filters, build_report
from lotse.planning.tests.conftest import TOWN

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 1)
OTHER = "Andersstadt"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    # The day of the web process and of the worker (claims fall due per month).
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: TODAY)


@pytest.fixture
def german(make_user, jugendamt):
    return make_user(Role.PLANNER, jugendamt, language="de")


@pytest.fixture
def english(make_user, jugendamt):
    return make_user(Role.PLANNER, jugendamt, language="en")


def page(client_for, user, query=None, language="de"):
    response = client_for(user).get(
        reverse("planning:dashboard"),
        {"year": "2025"} if query is None else query,
        headers={"accept-language": language},
    )
    assert response.status_code == 200
    return response.content.decode()


def stat(html, label):
    """The number of a key figure in English (``_stats.html``)."""
    found = re.search(rf"<strong>([^<]+)</strong> {label}</li>", html)
    assert found, label
    return found.group(1)


def no_drawing(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the page drew the figures itself")

    monkeypatch.setattr(pages, "render", must_not_run)


def test_the_refresh_stores_the_usual_views_so_a_cold_visit_draws_nothing(
    testhausen, german, english, client_for, monkeypatch
):
    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    # 2025 is also the year the dashboard opens on: ?year=2025 and no filters, de and en.
    stored = RenderedDashboard.objects.filter(municipality=TOWN)
    assert sorted(stored.values_list("language", flat=True)) == ["de", "de", "en", "en"]
    cache.clear()  # a fresh web process, or the shared cache emptied
    no_drawing(monkeypatch)

    html = page(client_for, german)
    assert "Kita-Planung für Testhausen" in html
    assert 'scope="row">Nord</th>' in html
    assert "angemeldete Kinder" in html
    assert 'id="figures-as-of"' in html and "neu berechnet" not in html
    assert "Childcare planning for Testhausen" in page(client_for, english, language="en")
    assert "Kita-Planung für Testhausen" in page(client_for, german, query={})


def test_another_view_is_drawn_once_then_read(testhausen, german, client_for, monkeypatch):
    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    query = {"year": "2025", "band": "u3", "district": str(testhausen.nord.pk)}
    first = page(client_for, german, query)
    assert RenderedDashboard.objects.filter(municipality=TOWN).count() == 5
    no_drawing(monkeypatch)
    assert figures(page(client_for, german, query)) == figures(first)


def figures(html):
    """The page from the key figures to the method (no per-request tokens)."""
    return html[html.index('id="summary-heading"') : html.index('id="method-heading"')]


def row(html, name):
    """The cells of a district's line in the table of districts, as shown."""
    found = re.search(rf'<tr><th scope="row">{name}</th>(.*?)</tr>', html)
    assert found, name
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", found[1])]


def ten_more_applications(testhausen):
    """Ten children under 3 applying for 2025 (five in Süd, five without a district)."""
    for n in range(10):
        Application.objects.create(
            child=Child.objects.create(
                first_name=f"n{n}", last_name="Test", birth_date=dt.date(2023, 3, 1)
            ),
            status=Application.Status.SUBMITTED,
            municipality=TOWN,
            desired_start=dt.date(2025, 9, 1),
            weekly_hours=35,
            home_district=testhausen.sued if n < 5 else None,
            submitted_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
        )


def current_body(html):
    """The figures below the export links: map, tables, charts, forecast, commuting."""
    return html[html.index('id="map-heading"') : html.index('id="method-heading"')]


def current(language):
    """The children applying in the stored figures and their HTML, drawn now."""
    with translation.override(language):
        report = build_report(Filters(municipality=TOWN, year=2025), today=TODAY)
        return report.total.applicants.value, pages.render(report, QueryDict("year=2025"))["body"]


def test_a_change_of_the_data_gives_fresh_figures_and_fresh_html(
    testhausen, english, client_for, django_capture_on_commit_callbacks
):
    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    html = page(client_for, english, language="en")
    assert current("en")[0] == 7
    assert current("en")[1] in html
    assert stat(html, "seats") == "117"

    # Applications and offers: the stored figures are outdated; the page says so and the
    # refresh (the worker, after the commit) recomputes the figures and their HTML.
    ten_more_applications(testhausen)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outdated = page(client_for, english, language="en")
    # the stored figures, said to be outdated
    assert current_body(outdated) == current_body(html)
    assert "the figures are being recomputed" in outdated
    assert len(callbacks) == 1
    callbacks[0]()  # the worker runs the refresh
    html = page(client_for, english, language="en")
    applicants, body = current("en")
    assert applicants == 17
    assert body in html and current_body(html) != current_body(outdated)
    assert "the figures are being recomputed" not in html

    # Seats and population are read on every visit: a change shows at once.
    Facility.objects.filter(pk=testhausen.a.pk).update(seats_under3=20)
    assert stat(page(client_for, english, language="en"), "seats") == "127"
    before = row(page(client_for, english, language="en"), "Nord")
    PopulationCount.objects.filter(district=testhausen.nord, age_from=0, age_to=3).update(count=60)
    assert row(page(client_for, english, language="en"), "Nord")[1] != before[1]


def test_another_municipality_never_gets_a_stored_view(
    testhausen, german, make_org, make_user, client_for, monkeypatch
):
    other = make_org(Organisation.Kind.JUGENDAMT, name="Jugendamt Andersstadt", municipality=OTHER)
    District.objects.create(municipality=OTHER, name="Altstadt")
    theirs = make_user(Role.PLANNER, other, language="de")
    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    mine = page(client_for, german)
    assert 'scope="row">Nord</th>' in mine

    # The same address, language and filters, another Jugendamt: its own figures only.
    html = page(client_for, theirs)
    assert "Kita-Planung für Andersstadt" in html
    assert 'scope="row">Altstadt</th>' in html
    assert "Nord" not in html and "Süd" not in html and "Testhausen" not in html
    assert set(RenderedDashboard.objects.values_list("municipality", flat=True)) == {TOWN, OTHER}
    # Asking for the other municipality is refused before any stored HTML is looked at.
    response = client_for(theirs).get(
        reverse("planning:dashboard"), {"year": "2025", "municipality": TOWN}
    )
    assert response.status_code == 404


def test_another_language_never_gets_a_stored_view(
    testhausen, german, english, client_for, monkeypatch
):
    # The first visit of the year computes the figures and renders the usual views.
    assert "Kita-Planung" in page(client_for, german)
    html = page(client_for, english, language="en")
    assert "Figures per district" in html and "Zahlen je Stadtteil" not in html
    assert "children applying" in html


def test_html_of_older_figures_is_never_shown_even_if_left_behind(testhausen, english, client_for):
    """A page that drew the old figures may store them after the refresh removed the old
    HTML (a race between processes): the key names the figures, so it is never read."""
    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    old = page(client_for, english, language="en")
    left_behind = list(
        RenderedDashboard.objects.values("municipality", "key", "language", "head", "body")
    )
    ten_more_applications(testhausen)
    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    RenderedDashboard.objects.all().delete()
    RenderedDashboard.objects.bulk_create(RenderedDashboard(**row) for row in left_behind)
    html = page(client_for, english, language="en")
    applicants, body = current("en")
    assert applicants == 17
    assert body in html and current_body(html) != current_body(old)


def test_the_periodic_job_removes_views_rendered_a_week_ago(testhausen):
    from lotse.planning.periodic import refresh_outdated_figures

    services.figures_refresh(municipality=TOWN, years=[2025], today=TODAY)
    assert RenderedDashboard.objects.count() == 4
    assert "0 stored view(s) removed" in refresh_outdated_figures()
    old = timezone.now() - services.RENDERED_KEEP - dt.timedelta(minutes=1)
    RenderedDashboard.objects.filter(language="en").update(rendered_at=old)
    assert "2 stored view(s) removed" in refresh_outdated_figures()
    assert set(RenderedDashboard.objects.values_list("language", flat=True)) == {"de"}
