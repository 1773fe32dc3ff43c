"""Importing the real Flensburg tables and reporting bad rows."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from lotse.directory.importer import MappingError
from lotse.directory.models import District
from lotse.planning import selectors
from lotse.planning.models import BirthCount, PopulationCount
from lotse.planning.population import children_by_band, single_years
from lotse.planning.services import population_import

pytestmark = pytest.mark.django_db


def test_real_flensburg_tables_import_completely(flensburg):
    for report in flensburg.values():
        assert report.errors == []
    # 13 districts × 8 age groups; × 6 years under 18 (2021 already known); × 6 birth years.
    assert flensburg["flensburg_population_by_age"].created == 104
    assert flensburg["flensburg_under_18"].created == 65
    assert flensburg["flensburg_under_18"].unchanged == 13
    assert flensburg["flensburg_births"].created == 78
    # Names like "Westliche_Höhe" and "04 Westliche Höhe" land in the directory's district.
    assert District.objects.filter(municipality="Flensburg").count() == 13


def test_flensburg_0_to_under_7_sums_to_6148(flensburg):
    total = PopulationCount.objects.filter(
        district__municipality="Flensburg", year=2021, age_from=0, age_to=7
    ).aggregate(n=Sum("count"))["n"]
    assert total == 6148


def test_flensburg_figures_match_the_source(flensburg):
    westliche_hoehe = District.objects.get(municipality="Flensburg", name="Westliche Höhe")
    u18 = dict(
        PopulationCount.objects.filter(district=westliche_hoehe, age_from=0, age_to=18).values_list(
            "year", "count"
        )
    )
    assert u18 == {2016: 1151, 2017: 1205, 2018: 1236, 2019: 1265, 2020: 1209, 2021: 1241}
    births = dict(BirthCount.objects.filter(district=westliche_hoehe).values_list("year", "count"))
    assert births == {2011: 41, 2017: 67, 2018: 81, 2019: 84, 2020: 75, 2021: 69}
    total = PopulationCount.objects.filter(
        district__municipality="Flensburg", year=2021, age_from=0, age_to=120
    ).aggregate(n=Sum("count"))["n"]
    assert total == 98777  # residents of Flensburg in the Sozialatlas 2022


def test_derived_bands_keep_the_published_totals(flensburg):
    groups, births = selectors.population_groups("Flensburg"), selectors.births("Flensburg")
    under_7 = under_18 = 0.0
    for district in selectors.districts("Flensburg"):
        estimate = single_years(groups[district.pk][2021], births[district.pk], 2021)
        under_7 += sum(estimate[age] for age in range(7))
        under_18 += sum(estimate[age] for age in range(18))
    assert round(under_7) == 6148
    assert round(under_18) == 14944  # the published under-18 total of 2021
    # Altstadt: 0–7 = 174 spread by births 2021…2015 (2016 and 2015 unknown → their mean).
    altstadt = District.objects.get(municipality="Flensburg", name="Altstadt")
    b = births[altstadt.pk]
    assert b == {2011: 29, 2017: 39, 2018: 34, 2019: 41, 2020: 41, 2021: 31}
    mean = (29 + 39 + 34 + 41 + 41 + 31) / 6
    weights = 31 + 41 + 41 + 34 + 39 + mean + mean
    bands, base = children_by_band(groups[altstadt.pk], b, 2021)
    assert base == 2021
    assert bands["u3"] == pytest.approx(174 * (31 + 41 + 41) / weights)
    assert bands["ue3"] == pytest.approx(174 * (34 + 39 + mean) / weights)
    # School children 6–13: age 6 from 0–7; ages 7–13 from 7–18 (360 − 174 = 186), born
    # 2014…2008 of 2014…2004, where only 2011 (29 births) is known.
    seven_to_13 = 186 * (6 * mean + 29) / (10 * mean + 29)
    assert bands["school"] == pytest.approx(174 * mean / weights + seven_to_13)


def test_reimport_changes_nothing(flensburg):
    report = population_import(
        actor=None,
        path="data/flensburg/births_2011_2021.csv",
        mapping="flensburg_births",
    )
    assert (report.created, report.updated, report.unchanged) == (0, 0, 78)


def test_bad_rows_are_reported_and_the_rest_imported(flensburg, tmp_path):
    table = tmp_path / "births.csv"
    table.write_text(
        "stadtteil,Anzahl_2020\nAltstadt,50\nAtlantis,12\nNeustadt,viele\n,7\nNordstadt,null\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {
                "source": "test",
                "format": "csv",
                "target": "births",
                "municipality": "Flensburg",
                "district": {"from": "stadtteil", "transform": ["district_name"], "required": True},
                "values": [{"from": "Anzahl_2020", "year": 2020}],
            }
        ),
        encoding="utf-8",
    )
    report = population_import(actor=None, path=table, mapping=str(mapping))
    assert report.updated == 1 and report.skipped == 1
    assert [line for line, _ in report.errors] == [3, 4, 5]
    assert "unknown district 'Atlantis'" in report.errors[0][1]
    assert "Anzahl_2020" in report.errors[1][1] and "viele" in report.errors[1][1]
    assert "required" in report.errors[2][1]
    assert BirthCount.objects.get(district__name="Altstadt", year=2020).count == 50


def test_bad_mapping_is_refused(tmp_path):
    mapping = tmp_path / "m.json"
    mapping.write_text('{"source": "x", "format": "xml"}', encoding="utf-8")
    with pytest.raises(MappingError):
        population_import(actor=None, path=tmp_path / "none.csv", mapping=str(mapping))


def test_management_command(flensburg, capsys):
    call_command(
        "import_population",
        "data/flensburg/under_18_2016_2021.csv",
        "--mapping",
        "flensburg_under_18",
    )
    assert "0 created, 0 updated, 78 unchanged" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("import_population", "nowhere.csv", "--mapping", "flensburg_births")
    with pytest.raises(CommandError):
        call_command("import_population", "data/flensburg/births_2011_2021.csv", "--mapping", "x")


def test_demo_load_is_idempotent(flensburg):
    from lotse.core.demo import DemoContext
    from lotse.planning.demo import load

    lines = load(DemoContext())
    assert len(lines) == 3
    assert all("0 created, 0 updated" in line for line in lines)
