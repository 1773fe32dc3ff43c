"""User journey in a real browser: search, filter, map (markers without tiles), detail page."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe

from lotse.directory.models import District

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(make_facility):
    mitte = District.objects.create(
        municipality="Flensburg", name="Altstadt", latitude=54.79, longitude=9.43
    )
    make_facility(
        name="Krippe Sonnenschein",
        kind="krippe",
        age_from_months=0,
        age_to_months=35,
        district=mitte,
        free_places=2,
        postcode="24939",
        latitude=54.791,
        longitude=9.431,
    )
    make_facility(
        name="Kindergarten Regenbogen",
        kind="kindergarten",
        age_from_months=36,
        age_to_months=83,
        district=mitte,
        postcode="24939",
        latitude=54.795,
        longitude=9.436,
    )
    make_facility(
        name="Hort am Hafen",
        kind="hort",
        age_from_months=72,
        age_to_months=168,
        postcode="24937",
        latitude=54.78,
        longitude=9.44,
    )


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_parent_searches_filters_and_opens_map_and_detail(page, live_server, city):
    page.goto(f"{live_server.url}/facilities/")
    assert page.locator("h1").inner_text() == "Betreuung finden"
    assert "3 Einrichtungen gefunden" in page.locator("#results-heading").inner_text()
    assert serious_violations(page) == []

    # Filter by age with the keyboard-accessible form (works without JavaScript as well).
    page.fill("#id_age", "1")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**age=1**")
    assert "1 Einrichtung gefunden" in page.locator("#results-heading").inner_text()
    assert page.get_by_role("link", name="Krippe Sonnenschein").is_visible()

    # Wrong input gets a clear German message, nothing crashes.
    page.goto(f"{live_server.url}/facilities/?near=Atlantis")
    assert "Wir konnten „Atlantis“ nicht finden" in page.locator("[role=alert]").inner_text()

    # The map: markers appear although every tile request is aborted.
    page.goto(f"{live_server.url}/facilities/map/?q=Kindergarten")
    page.wait_for_selector("#map[data-markers]")
    assert page.locator("#map").get_attribute("data-markers") == "1"
    assert page.locator("#map path.leaflet-interactive").count() == 1
    assert page.locator(".leaflet-top.leaflet-left .leaflet-control-zoom").count() == 1
    assert page.get_by_role("link", name="Kindergarten Regenbogen").is_visible()  # list alternative
    page.screenshot(path="/tmp/directory-map.png")

    page.get_by_role("link", name="Kindergarten Regenbogen").click()
    assert page.locator("h1").inner_text() == "Kindergarten Regenbogen"
    data = json.loads(page.locator("script[type='application/ld+json']").inner_text())
    assert data["@type"] == "ChildCare" and data["address"]["postalCode"] == "24939"
    assert serious_violations(page) == []
    page.screenshot(path="/tmp/directory-detail.png", full_page=True)


def test_english_and_language_switch(page, live_server, city):
    page.goto(f"{live_server.url}/facilities/")
    page.select_option("#language-select", "en")
    page.click(".lang-switch button")
    assert page.locator("h1").inner_text() == "Find childcare"
    assert page.locator("html").get_attribute("lang") == "en"


def test_map_controls_follow_the_reading_direction(page, live_server, city):
    page.goto(f"{live_server.url}/facilities/")
    page.select_option("#language-select", "ar")
    page.click(".lang-switch button")
    page.goto(f"{live_server.url}/facilities/map/?q=Kindergarten")
    page.wait_for_selector("#map[data-markers]")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".leaflet-top.leaflet-right .leaflet-control-zoom").count() == 1
    assert page.locator(".leaflet-bottom.leaflet-left .leaflet-control-attribution").count() == 1
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    page.screenshot(path="/tmp/directory-map-ar.png")
