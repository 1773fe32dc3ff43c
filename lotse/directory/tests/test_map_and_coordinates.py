"""The map's own base layer (district boundaries and names), its legend and the searched
place; coordinates that are not on Earth refused at input and import; facilities far outside
the municipality flagged in the import report."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.forms import modelform_factory
from django.urls import reverse

from lotse.directory.importer import load_mapping, run_import
from lotse.directory.models import District, Facility, Service
from lotse.directory.selectors import simplify_ring

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "data" / "flensburg"
MAPPINGS = Path(settings.BASE_DIR) / "lotse" / "directory" / "mappings"


@pytest.fixture
def districts() -> None:
    report = run_import(
        DATA / "flensburg_stadtteile.geojson",
        load_mapping(MAPPINGS / "flensburg_districts_geojson.json"),
    )
    assert report.created == 13


def test_map_districts_are_simplified_boundaries_with_names(client, districts):
    response = client.get(reverse("directory:map_districts"))
    assert response.status_code == 200
    data = response.json()
    names = {f["properties"]["name"] for f in data["features"]}
    assert len(data["features"]) == 13 and "Nordstadt" in names
    for feature in data["features"]:
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        lat, lon = feature["properties"]["label_at"]
        assert 54.7 < lat < 54.9 and 9.3 < lon < 9.6
    raw = sum(len(json.dumps(d.boundary)) for d in District.objects.all())
    assert len(response.content) < raw / 3  # simplified for the browser


def test_simplify_keeps_the_shape_and_closes_the_ring():
    ring = [[0, 0], [0.5, 0.00001], [1, 0], [1, 1], [0.5, 1.00002], [0, 1], [0, 0]]
    simple = simplify_ring(ring, 0.0001)
    assert simple == [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]


def test_map_page_has_a_legend_and_the_searched_place(client, districts, make_facility):
    make_facility(name="Kita Nord", postcode="24939", latitude=54.80, longitude=9.43)
    page = client.get(reverse("directory:map"), {"near": "24939"}).content.decode()
    assert 'class="map-legend"' in page
    for colour in ("#1e6b3a", "#0b5d7a", "#7b3fb0", "#f28c28"):
        assert colour in page
    config = json.loads(page.split('id="map-config" type="application/json">')[1].split("<")[0])
    assert config["districtsUrl"] == reverse("directory:map_districts")
    assert config["place"]["label"] == "24939"
    assert config["place"]["lat"] == pytest.approx(54.80)
    plain = client.get(reverse("directory:map")).content.decode()
    assert '"place": null' in plain


@pytest.mark.parametrize(
    ("latitude", "longitude"), [("200", "9.4"), ("-91", "9.4"), ("54.8", "181")]
)
def test_forms_refuse_coordinates_not_on_earth(latitude, longitude):
    for model in (Facility, Service, District):
        fields = ["name", "latitude", "longitude"]
        if model is District:
            fields = ["municipality", *fields]
        form = modelform_factory(model, fields=fields)(
            {
                "name": "X",
                "municipality": "Flensburg",
                "latitude": latitude,
                "longitude": longitude,
            }
        )
        assert not form.is_valid()
        assert set(form.errors) & {"latitude", "longitude"}


def test_network_service_form_refuses_latitude_200():
    from lotse.networks.forms import ServiceForm

    form = ServiceForm(
        {"name": "Familienbüro", "kind": "counselling", "latitude": "200", "longitude": "9.4"}
    )
    assert not form.is_valid()
    assert "latitude" in form.errors


def _geojson(tmp_path: Path, points: list[tuple[str, float, float]]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {
                "facility": name,
                "address": f"Weg {i}",
                "postal_code": "24937",
                "childcare_places": 40,
                "group_3_6": 2,
            },
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        for i, (name, lat, lon) in enumerate(points, 1)
    ]
    path = tmp_path / "kitas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_import_refuses_latitude_200_and_flags_far_away_facilities(tmp_path, districts):
    path = _geojson(
        tmp_path,
        [
            ("Kita Hafen", 54.79, 9.43),
            ("Kita Mond", 200.0, 9.43),
            ("Kita Berlin", 52.52, 13.40),  # 400 km away: a wrong coordinate, not a Kita here
            ("Kita Tarup", 54.775, 9.49),
        ],
    )
    report = run_import(path, load_mapping(MAPPINGS / "flensburg_kitas_geojson.json"))
    assert report.created == 3
    assert len(report.errors) == 1 and "out of range" in report.errors[0][1]
    assert not Facility.objects.filter(name="Kita Mond").exists()
    assert len(report.flagged) == 1
    line, reason = report.flagged[0]
    assert "Kita Berlin" in reason and "outside Flensburg" in reason
    assert "1 flagged" in report.summary()


def test_import_command_prints_the_flagged_rows(tmp_path, districts):
    path = _geojson(tmp_path, [("Kita Kiel", 54.32, 10.13), ("Kita Hafen", 54.79, 9.43)])
    out, err = StringIO(), StringIO()
    call_command(
        "import_directory", str(path), "--mapping=flensburg_kitas_geojson", stdout=out, stderr=err
    )
    assert "1 flagged" in out.getvalue()
    assert "check:" in err.getvalue() and "Kita Kiel" in err.getvalue()
