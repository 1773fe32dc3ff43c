"""The importer on the three real open-data files and on deliberately broken rows."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from lotse.directory.importer import MappingError, load_mapping, run_import
from lotse.directory.models import District, Facility

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "data" / "flensburg"
MAPPINGS = Path(settings.BASE_DIR) / "lotse" / "directory" / "mappings"


def mapping(name: str) -> dict:
    return load_mapping(MAPPINGS / f"{name}.json")


def test_flensburg_csv_imports_all_kitas_with_clean_values():
    report = run_import(DATA / "kitas_in_flensburg.csv", mapping("flensburg_kitas_csv"))
    assert report.errors == []
    assert report.created == 70
    kinderhaus = Facility.objects.get(name="Kinderhaus", street="Marientreppe 10")
    assert kinderhaus.phone == "0461/3132978"  # area code added to the bare number
    assert kinderhaus.district.name == "Altstadt"
    assert kinderhaus.opening_hours["mon"] == ["07:30", "16:30"]
    assert kinderhaus.max_weekly_hours == 45
    assert kinderhaus.places_total == 60
    # One group each of 0–3 (10), 3–6 (20), 6–14 (20) and mixed 1–6 (15 places): 60 split so.
    assert (kinderhaus.seats_under3, kinderhaus.seats_over3, kinderhaus.seats_school) == (9, 19, 18)
    assert kinderhaus.seats_mixed == 14
    assert Facility.objects.filter(seats_mixed__gt=0).count() == 18  # Kitas with mixed groups
    assert kinderhaus.meals is True
    assert District.objects.filter(municipality="Flensburg").count() == 13


def test_geojson_after_csv_updates_instead_of_duplicating():
    run_import(DATA / "kitas_in_flensburg.csv", mapping("flensburg_kitas_csv"))
    report = run_import(DATA / "kitas_in_flensburg.geojson", mapping("flensburg_kitas_geojson"))
    assert report.created == 0
    assert report.updated == 70  # they gain coordinates
    assert Facility.objects.count() == 70
    assert Facility.objects.filter(latitude__isnull=True).count() == 0
    again = run_import(DATA / "kitas_in_flensburg.geojson", mapping("flensburg_kitas_geojson"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 70)


def test_schleswig_holstein_export_reports_bad_records_and_imports_the_rest():
    report = run_import(DATA / "einrichtungen.json", mapping("sh_einrichtungen_json"))
    assert report.created == 3298
    bad = dict(report.errors)
    assert sorted(bad) == [9, 334, 341, 1329, 2298]
    assert "reversed" in bad[9]
    assert "opening hours" in bad[334]
    assert "latitude" in bad[2298]
    # 1,433 childminders in the file, three of them among the rejected records (9, 334, 341).
    assert Facility.objects.filter(kind=Facility.Kind.TAGESPFLEGE).count() == 1430
    mini = Facility.objects.get(external_id="3573")
    assert mini.name == "Kita Mini-Forscher"  # surrounding spaces in the source removed
    assert mini.kind == Facility.Kind.KINDERGARTEN  # 60–83 months
    assert mini.opening_hours["fri"] == ["07:30", "16:00"]
    assert mini.barrier_free is True
    assert Facility.objects.filter(languages__code="da").exists()
    assert Facility.objects.filter(concepts__name="Montessori").count() == 27


def test_district_boundaries_import_with_centroids():
    report = run_import(
        DATA / "flensburg_stadtteile.geojson", mapping("flensburg_districts_geojson")
    )
    assert report.created == 13 and not report.errors
    nordstadt = District.objects.get(name="Nordstadt")
    assert nordstadt.boundary["type"] == "Polygon"
    assert 54.7 < nordstadt.latitude < 54.9 and 9.3 < nordstadt.longitude < 9.6


def test_broken_csv_rows_are_reported_with_line_and_reason(tmp_path):
    header = (
        "district,facility,institution,director,address,postal_code,phone_number,opening_hours,"
        "childcare_places,group_0_3,group_3_6,group_6_14,group_1_6,nature_3_6,integrational,"
        "groups_total,lunch_offer,comments,prerequisite\n"
    )
    rows = [
        "Altstadt,Gute Kita,Träger,Frau A,Weg 1,24937,123,07:00-16:00,40,1,1,0,0,0,0,2,X,,\n",
        "Altstadt,Kita, mit Komma,Träger,Frau B,Weg 2,24937,123,07:00-16:00,40,1,1,0,0,0,0,2,X,,\n",
        "Neustadt,Kita Zeit,Träger,Frau C,Weg 3,24937,123,morgens,40,1,1,0,0,0,0,2,X,,\n",
        "Neustadt,,Träger,Frau D,Weg 4,24937,123,07:00-16:00,40,1,1,0,0,0,0,2,X,,\n",
        "Neustadt,Kita Minus,Träger,Frau E,Weg 5,24937,123,07:00-16:00,-5,1,1,0,0,0,0,2,X,,\n",
        "Weiche,Letzte Kita,Träger,Frau F,Weg 6,24941,null,07:00-17:00,20,0,1,0,0,0,0,1,,,\n",
    ]
    path = tmp_path / "broken.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    report = run_import(path, mapping("flensburg_kitas_csv"))
    errors = dict(report.errors)
    assert sorted(errors) == [3, 4, 5, 6]
    assert "20 fields instead of 19" in errors[3]
    assert "opening hours 'morgens'" in errors[4]
    assert "facility" in errors[5] and "required" in errors[5]
    assert "negative" in errors[6]
    assert set(Facility.objects.values_list("name", flat=True)) == {"Gute Kita", "Letzte Kita"}
    assert Facility.objects.get(name="Letzte Kita").phone == ""  # 'null' means missing


def test_command_prints_errors_and_summary(tmp_path):
    out, err = StringIO(), StringIO()
    call_command(
        "import_directory",
        str(DATA / "einrichtungen.json"),
        "--mapping=sh_einrichtungen_json",
        "--only=address.town=Flensburg",
        stdout=out,
        stderr=err,
    )
    assert "140 created" in out.getvalue() or "created" in out.getvalue()
    assert Facility.objects.filter(city="Flensburg").count() >= 130


def test_bad_mapping_and_missing_file_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "source": "x",
                "format": "csv",
                "fields": {"name": {"from": "n", "transform": ["shout"]}},
            }
        )
    )
    with pytest.raises(MappingError, match="unknown transform 'shout'"):
        load_mapping(bad)
    with pytest.raises(CommandError, match="file not found"):
        call_command(
            "import_directory", str(tmp_path / "nope.csv"), "--mapping=flensburg_kitas_csv"
        )
    with pytest.raises(CommandError, match="lacks 'format'"):
        (tmp_path / "m.json").write_text('{"source": "x", "fields": {}}')
        call_command(
            "import_directory",
            str(DATA / "kitas_in_flensburg.csv"),
            f"--mapping={tmp_path / 'm.json'}",
        )
