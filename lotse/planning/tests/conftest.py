"""A small hand-computable municipality ("Testhausen") and the real Flensburg tables."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache

from lotse.accounts.models import Organisation, Role
from lotse.applications.models import Application, Child, Offer, SeatQuota
from lotse.directory.importer import load_mapping as load_directory_mapping
from lotse.directory.importer import run_import as run_directory_import
from lotse.directory.models import District
from lotse.planning.models import BirthCount, PopulationCount
from lotse.planning.services import population_import

DATA = settings.BASE_DIR / "data" / "flensburg"
DIRECTORY_MAPPINGS = settings.BASE_DIR / "lotse" / "directory" / "mappings"
UTC = dt.UTC
TOWN = "Testhausen"


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_staff_2fa_prompt(settings):
    # Two-factor enrolment of staff is the accounts app's concern (and tested there); here
    # planners and the refused roles must reach the planning views themselves.
    settings.LOTSE_REQUIRE_STAFF_2FA = False


@pytest.fixture(autouse=True)
def _empty_cache():
    # Reports cache their aggregates; every test starts from the database.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def flensburg(db):
    """Flensburg's 13 districts (GeoJSON) and its three population tables, imported."""
    run_directory_import(
        DATA / "flensburg_stadtteile.geojson",
        load_directory_mapping(DIRECTORY_MAPPINGS / "flensburg_districts_geojson.json"),
    )
    reports = {
        name: population_import(actor=None, path=DATA / f"{file}.csv", mapping=name)
        for name, file in [
            ("flensburg_population_by_age", "population_2021_by_age"),
            ("flensburg_under_18", "under_18_2016_2021"),
            ("flensburg_births", "births_2011_2021"),
        ]
    }
    return reports


@pytest.fixture
def jugendamt(make_org):
    return make_org(Organisation.Kind.JUGENDAMT, name="Jugendamt Testhausen", municipality=TOWN)


@pytest.fixture
def planner(make_user, jugendamt):
    return make_user(Role.PLANNER, jugendamt)


def _application(
    child, district, start, submitted, *, status=Application.Status.SUBMITTED, municipality=TOWN
):
    return Application.objects.create(
        child=child,
        status=status,
        municipality=municipality,
        desired_start=start,
        weekly_hours=35,
        home_district=district,
        submitted_at=submitted,
    )


def _offer(application, facility, seat_type, start, created, status):
    quota, _ = SeatQuota.objects.get_or_create(
        facility=facility, seat_type=seat_type, start_month=start, defaults={"capacity": 20}
    )
    offer = Offer.objects.create(
        application=application,
        facility=facility,
        quota=quota,
        seat_type=seat_type,
        start_month=start,
        status=status,
        deadline=created + dt.timedelta(days=14),
    )
    Offer.objects.filter(pk=offer.pk).update(created_at=created)
    return offer


@pytest.fixture
def testhausen(db, make_facility):
    """Two districts with exact population figures, seats, applications and offers.

    Every figure the tests expect is computed by hand in the test that uses it.
    """
    nord = District.objects.create(municipality=TOWN, name="Nord")
    sued = District.objects.create(municipality=TOWN, name="Süd")
    # Nord 2025: exact bands; births 2023–2025.
    for age_from, age_to, count in [(0, 3, 30), (3, 6, 30), (6, 14, 80)]:
        PopulationCount.objects.create(
            district=nord, year=2025, age_from=age_from, age_to=age_to, count=count
        )
    for year, count in [(2023, 12), (2024, 8), (2025, 10)]:
        BirthCount.objects.create(district=nord, year=year, count=count)
    # Süd 2025: only coarse groups, births 2019–2025 (10 a year).
    PopulationCount.objects.create(district=sued, year=2025, age_from=0, age_to=7, count=70)
    PopulationCount.objects.create(district=sued, year=2025, age_from=0, age_to=18, count=180)
    for year in range(2019, 2026):
        BirthCount.objects.create(district=sued, year=year, count=10)

    a = make_facility(name="Kita A", district=nord, seats_under3=10, seats_over3=25)
    make_facility(name="Hort B", district=nord, seats_under3=5, seats_over3=5, seats_school=20)
    c = make_facility(name="Kita C", district=sued, seats_under3=12, seats_over3=40)

    def child(name, born):
        return Child.objects.create(first_name=name, last_name="Test", birth_date=born)

    ok, declined = Offer.Status.ACCEPTED, Offer.Status.DECLINED
    # c1: Nord, u3 with a claim, offer after 30 days, placed at A (Nord).
    app = _application(
        child("c1", dt.date(2023, 5, 10)), nord, dt.date(2025, 8, 1), at(2025, 1, 10)
    )
    _offer(app, a, "u3", dt.date(2025, 8, 1), at(2025, 2, 9), ok)
    # c2: Nord, under one year at the start: u3 without a legal claim, no offer.
    _application(child("c2", dt.date(2024, 11, 15)), nord, dt.date(2025, 8, 1), at(2025, 2, 1))
    # c3: Nord, ue3, no offer at all: an unmet legal claim.
    _application(child("c3", dt.date(2022, 3, 1)), nord, dt.date(2025, 8, 1), at(2025, 1, 20))
    # c4: Nord, ue3, offer 74 days later but after the desired start: unmet; placed at C (Süd).
    app = _application(child("c4", dt.date(2021, 1, 15)), nord, dt.date(2025, 3, 1), at(2025, 1, 5))
    _offer(app, c, "ue3", dt.date(2025, 4, 1), at(2025, 3, 20), ok)
    # c5: Nord, ue3, offer after 30 days, declined.
    app = _application(child("c5", dt.date(2021, 6, 1)), nord, dt.date(2025, 8, 1), at(2025, 2, 1))
    _offer(app, a, "ue3", dt.date(2025, 8, 1), at(2025, 3, 3), declined)
    # c6: Süd, u3; a withdrawn and a live application (counts once); offer after 32 days.
    c6 = child("c6", dt.date(2023, 1, 1))
    _application(c6, sued, dt.date(2025, 9, 1), at(2025, 2, 1), status=Application.Status.WITHDRAWN)
    app = _application(c6, sued, dt.date(2025, 9, 1), at(2025, 3, 1))
    _offer(app, c, "u3", dt.date(2025, 9, 1), at(2025, 4, 2), ok)
    # c7: Süd, a draft (never submitted): not counted.
    _application(
        child("c7", dt.date(2023, 2, 1)),
        sued,
        dt.date(2025, 8, 1),
        None,
        status=Application.Status.DRAFT,
    )
    # c8: no home district given, ue3, no offer: unmet.
    _application(child("c8", dt.date(2021, 2, 1)), None, dt.date(2025, 8, 1), at(2025, 2, 1))
    # Not counted for Testhausen 2025: another municipality, another year.
    _application(
        child("x1", dt.date(2022, 1, 1)),
        None,
        dt.date(2025, 8, 1),
        at(2025, 2, 1),
        municipality="Andersstadt",
    )
    _application(child("x2", dt.date(2022, 1, 1)), nord, dt.date(2024, 8, 1), at(2024, 2, 1))
    return SimpleNamespace(nord=nord, sued=sued, a=a, c=c)
