"""Two counselling services, a Jugendamt, a facility and an association, each with a user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from lotse.accounts.models import Organisation, Role, User
from lotse.counselling import services
from lotse.counselling.models import Case, Consent
from lotse.directory.models import District, Service


@dataclass
class World:
    service_a: Organisation
    service_b: Organisation
    lotsin: User
    lotsin2: User
    berater: User
    jugendamt: Organisation
    jugendamt_service: Service
    other_service: Service
    planner: User
    facility: Organisation
    kita: User
    association: Organisation
    verband: User
    parent: User
    district: District


@pytest.fixture
def world(make_org, make_user) -> World:
    service_a = make_org(Organisation.Kind.COUNSELLING, name="Lotsenstelle A")
    service_b = make_org(Organisation.Kind.COUNSELLING, name="Beratung B")
    jugendamt = make_org(Organisation.Kind.JUGENDAMT, name="Jugendamt")
    facility = make_org(Organisation.Kind.FACILITY, name="Kita Sonnenschein")
    association = make_org(Organisation.Kind.ASSOCIATION, name="Verband der Elterninitiativen")
    return World(
        service_a=service_a,
        service_b=service_b,
        lotsin=make_user(
            Role.COUNSELLOR, service_a, email="lotsin@test.example", full_name="Leyla Lotsin"
        ),
        lotsin2=make_user(Role.COUNSELLOR, service_a, email="lotsin2@test.example"),
        berater=make_user(Role.COUNSELLOR, service_b, email="berater@test.example"),
        jugendamt=jugendamt,
        jugendamt_service=Service.objects.create(
            name="Jugendamt — Kita-Platzvergabe",
            kind=Service.Kind.JUGENDAMT,
            organisation=jugendamt,
            email="kita@jugendamt.example",
        ),
        other_service=Service.objects.create(
            name="Beratung B (Service)", kind=Service.Kind.COUNSELLING, organisation=service_b
        ),
        planner=make_user(Role.PLANNER, jugendamt, email="planer@test.example"),
        facility=facility,
        kita=make_user(Role.FACILITY_STAFF, facility, email="kita@test.example"),
        association=association,
        verband=make_user(Role.COORDINATOR, association, email="verband@test.example"),
        parent=make_user(email="eltern@test.example"),
        district=District.objects.create(municipality="Flensburg", name="Neustadt"),
    )


@pytest.fixture
def open_case(world):
    def make(
        organisation: Organisation | None = None,
        actor: User | None = None,
        alias: str = "A.K.-01",
        topics: list[str] | None = None,
        languages: list[str] | None = None,
        opened_on: date | None = None,
    ) -> Case:
        return services.case_open(
            actor=actor or world.lotsin,
            organisation=organisation or world.service_a,
            alias=alias,
            languages=languages or ["ar", "de"],
            children_count=2,
            district=world.district,
            topics=topics or ["finding_place", "legal_claim"],
            notes="Mutter sucht Krippenplatz, Vertrauliches.",
            opened_on=opened_on,
        )

    return make


@pytest.fixture
def consent(world):
    def make(case: Case, purpose: str, actor: User | None = None) -> Consent:
        return services.consent_record(
            actor=actor or world.lotsin,
            case=case,
            purpose=purpose,
            given_on=case.opened_on,
            form=Consent.Form.WRITTEN,
            scope="Alias, Sprachen und Anliegen",
        )

    return make


@pytest.fixture(autouse=True)
def _no_second_factor_enrolment(settings) -> None:
    # Two-factor enrolment of staff is the accounts app's concern and tested there.
    settings.LOTSE_REQUIRE_STAFF_2FA = False
