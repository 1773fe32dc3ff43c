"""The map without a tile server (every tile request aborted): district boundaries and names
from our own data, the legend, the searched place — in German and in Arabic (mirrored)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from lotse.directory.importer import load_mapping, run_import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATA = Path(settings.BASE_DIR) / "data" / "flensburg"
MAPPINGS = Path(settings.BASE_DIR) / "lotse" / "directory" / "mappings"
#: Screenshots go to a temporary folder; ``LOTSE_SCREENSHOTS_DIR=docs/screenshots`` refreshes the
#: ones in the repository (a normal test run must not change tracked files).
SHOTS = Path(os.environ.get("LOTSE_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "lotse-shots")


@pytest.fixture
def flensburg(make_facility):
    run_import(
        DATA / "flensburg_stadtteile.geojson",
        load_mapping(MAPPINGS / "flensburg_districts_geojson.json"),
    )
    make_facility(name="Kita Hafen", postcode="24937", latitude=54.792, longitude=9.435)
    make_facility(
        name="Kita Frei", postcode="24937", latitude=54.785, longitude=9.44, free_places=3
    )


def test_offline_map_draws_districts_legend_and_searched_place(page, live_server, flensburg):
    page.goto(f"{live_server.url}/facilities/map/?near=24937")
    page.wait_for_selector("#map[data-districts='13']")
    page.wait_for_selector("#map[data-markers='2']")
    assert page.locator("#map").get_attribute("data-place") == "24937"
    labels = page.locator(".district-label").all_inner_texts()
    assert len(labels) == 13 and "Altstadt" in labels
    # Boundaries are drawn in their own pane below the markers.
    assert page.locator(".leaflet-districts-pane path").count() == 13
    legend = page.locator(".map-legend").inner_text()
    assert "freien Plätzen" in legend and "Stadtteilgrenze" in legend
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "map-offline-de.png"))

    page.select_option("#language-select", "ar")
    page.click(".lang-switch button")
    page.wait_for_selector("#map[data-districts='13']")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".leaflet-top.leaflet-right .leaflet-control-zoom").count() == 1
    page.screenshot(path=str(SHOTS / "map-offline-ar.png"))
