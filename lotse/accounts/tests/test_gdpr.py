"""GDPR self-service: export (JSON, PDF) and erasure across the apps, access and CSRF."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from auditlog.models import LogEntry
from django.db.models import Count
from django.test import Client, TestCase
from django.utils import timezone
from pypdf import PdfReader

from lotse.accounts.gdpr import gdpr_erase, gdpr_export
from lotse.accounts.models import Membership, Organisation, Role, User
from lotse.applications.models import Application, Child, Guardian
from lotse.applications.tests.helpers import apply
from lotse.counselling import services as counselling
from lotse.counselling.models import Case, Consent, Contact
from lotse.counselling.models import Client as CounsellingClient
from lotse.directory.models import District, Service
from lotse.events import services as events
from lotse.events.models import Event, Registration, Session
from lotse.networks.models import Network, NetworkMember

pytestmark = pytest.mark.django_db

NAME = "Ayşe Demir"
EMAIL = "ayse.demir@test.example"
CASE_NOTE = "Vertraulich: Trennung, Mutter schläft schlecht"
CONTACT_NOTE = "Gespräch über die Großmutter"
REFERRAL_REASON = "Schuldnerberatung nötig"
URGENCY_NOTE = "Hinweis des ASD"


@dataclass
class Family:
    parent: User
    counsellor: User
    application: Application
    case: Case
    registration: Registration
    past_registration: Registration
    shared_child: Child
    other_parent: User


def _event(organiser: Organisation, starts: timedelta, title: str) -> Event:
    now = timezone.now()
    event = Event.objects.create(
        organiser=organiser,
        title=title,
        topic="language",
        capacity=10,
        fee=Decimal("0"),
        registration_opens=now + starts - timedelta(days=30),
        registration_closes=now + starts - timedelta(days=1),
        status=Event.Status.PUBLISHED,
    )
    Session.objects.create(
        event=event, starts_at=now + starts, ends_at=now + starts + timedelta(hours=3)
    )
    return event


@pytest.fixture
def family(settings, make_user, make_org, make_facility) -> Family:
    settings.LOTSE_REQUIRE_STAFF_2FA = False
    parent = make_user(email=EMAIL, full_name=NAME)
    other_parent = make_user(email="vater@test.example", full_name="Deniz Demir")
    district = District.objects.create(municipality="Flensburg", name="Neustadt")
    facility = make_facility(name="Kita Regenbogen", district=district)
    with TestCase.captureOnCommitCallbacks(execute=True):
        application = apply(parent, [facility], name="Mia", home_district=district)
    Application.objects.filter(pk=application.pk).update(
        home_postcode="24941", social_urgency_note=URGENCY_NOTE
    )
    # A second child with two guardians: the other guardian keeps it.
    shared = apply(other_parent, [facility], name="Emre")
    Guardian.objects.create(child=shared.child, user=parent)

    service = make_org(Organisation.Kind.COUNSELLING, name="Lotsenstelle Nord")
    counsellor = make_user(Role.COUNSELLOR, service, full_name="Leyla Lotsin")
    case = counselling.case_open(
        actor=counsellor,
        organisation=service,
        alias="A.D.-01",
        languages=["tr", "de"],
        children_count=1,
        district=district,
        topics=["finding_place"],
        notes=CASE_NOTE,
    )
    # The parent confirms the counsellor's request to link the case to their account.
    counselling.case_link_confirm(
        actor=parent, token=counselling.parent_link_token(case, parent.email)
    )
    counselling.contact_log(
        actor=counsellor,
        case=case,
        date=timezone.localdate(),
        channel="phone",
        duration_minutes=20,
        language="tr",
        interpreter=False,
        notes=CONTACT_NOTE,
    )
    counselling.consent_record(
        actor=counsellor,
        case=case,
        purpose=Consent.Purpose.SHARE_SERVICES,
        given_on=timezone.localdate(),
        form=Consent.Form.WRITTEN,
        scope="Name und Anliegen an die Beratungsstelle",
    )
    target = Service.objects.create(name="Schuldnerberatung", kind=Service.Kind.COUNSELLING)
    counselling.referral_send(
        actor=counsellor, case=case, target=target, reason=REFERRAL_REASON, shares_data=True
    )

    association = make_org(Organisation.Kind.ASSOCIATION, name="Verband")
    upcoming = _event(association, timedelta(days=20), "Elternabend Sprache")
    registration, _ = events.registration_create(
        actor=parent,
        event=upcoming,
        data=events.RegistrationData(email=EMAIL, full_name=NAME, workplace="Zuhause"),
    )
    past = _event(association, timedelta(days=-60), "Fachtag Eltern-Kind-Zentren")
    past_registration = Registration.objects.create(
        event=past,
        user=parent,
        email=EMAIL,
        full_name=NAME,
        status=Registration.Status.CONFIRMED,
        fee_due=Decimal("0"),
        answers={"Essen": "vegetarisch"},
        queue_number=1,
    )

    network_org = make_org(Organisation.Kind.NETWORK, name="Netzwerk Frühe Hilfen")
    network = Network.objects.create(organisation=network_org)
    NetworkMember.objects.create(network=network, user=parent, function="Elternvertreterin")
    return Family(
        parent=parent,
        counsellor=counsellor,
        application=application,
        case=case,
        registration=registration,
        past_registration=past_registration,
        shared_child=shared.child,
        other_parent=other_parent,
    )


def _login(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


# --- Export -----------------------------------------------------------------------------------


def test_json_export_has_the_parents_data_but_not_what_counsellors_wrote(family):
    response = _login(family.parent).get("/me/data/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    data = json.loads(text)
    assert data["account"]["email"] == EMAIL
    assert data["account"]["two_factor"] == {"authenticator_app": False, "recovery_codes": False}
    children = {c["first_name"]: c for c in data["applications"]["children"]}
    assert set(children) == {"Mia", "Emre"}
    mia = children["Mia"]["applications"][0]
    assert mia["wishes"] == [{"rank": 1, "facility": "Kita Regenbogen"}]
    assert mia["home_district"] == "Neustadt" and mia["status"] == "submitted"
    assert children["Emre"]["other_guardians"] == 1
    titles = {r["event"] for r in data["events"]["registrations"]}
    assert titles == {"Elternabend Sprache", "Fachtag Eltern-Kind-Zentren"}
    (client,) = data["counselling"]["clients"]
    assert client["counselling_service"] == "Lotsenstelle Nord"
    assert client["consents"][0]["scope"] == "Name und Anliegen an die Beratungsstelle"
    assert client["referrals"][0]["referred_to"] == "Schuldnerberatung"
    assert data["networks"]["memberships"][0]["function"] == "Elternvertreterin"
    # §65 SGB VIII: what was entrusted to the counsellor is not exported …
    for secret in (CASE_NOTE, CONTACT_NOTE, REFERRAL_REASON, URGENCY_NOTE, "Leyla Lotsin"):
        assert secret not in text
    # … and the export says so.
    withheld = {w["category"] for w in data["withheld"]}
    assert {"counselling_records", "jugendamt_note", "credentials", "audit_log"} <= withheld
    # Never secrets.
    assert family.parent.password not in text and '"password"' not in text
    assert '"secret"' not in text and "md5$" not in text


def test_pdf_export_is_readable_in_the_users_language(family):
    response = _login(family.parent).get("/me/data/export.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Ihre Daten in Lotse" in text and "Kinder" in text
    assert "Mia" in text and "Kita Regenbogen" in text and "Lotsenstelle Nord" in text
    assert "§65 SGB VIII" in text
    assert CASE_NOTE not in text and CONTACT_NOTE not in text

    User.objects.filter(pk=family.parent.pk).update(language="en")
    english = _login(User.objects.get(pk=family.parent.pk)).get("/me/data/export.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(english.content)).pages)
    assert "Your data in Lotse" in text and "Children" in text


def test_data_page_links_downloads_and_erasure_and_is_on_the_dashboard(family):
    client = _login(family.parent)
    assert "/me/data/" in client.get("/dashboard/").content.decode()
    page = client.get("/me/data/").content.decode()
    for url in ("/me/data/export.json", "/me/data/export.pdf", 'action="/me/data/erase/"'):
        assert url in page
    assert "Lotsenstelle" not in page  # the overview counts, it does not list content
    assert CASE_NOTE not in page


def test_each_user_exports_only_their_own_data(family):
    text = _login(family.counsellor).get("/me/data/export.json").content.decode()
    assert EMAIL not in text and "Mia" not in text and CASE_NOTE not in text
    data = json.loads(text)
    assert data["counselling"]["clients"] == []
    assert data["account"]["memberships"][0]["organisation"] == "Lotsenstelle Nord"


def test_anonymous_visitors_are_sent_to_login():
    client = Client()
    for path in ("/me/data/", "/me/data/export.json", "/me/data/export.pdf"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post("/me/data/erase/", {"password": "x", "confirmation": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Erasure ----------------------------------------------------------------------------------


def _planning_counts() -> dict[str, object]:
    return {
        "applications": Application.objects.count(),
        "by_district": sorted(
            Application.objects.values_list("home_district__name").annotate(n=Count("id")),
            key=str,
        ),
        "by_start": sorted(
            Application.objects.values_list("desired_start").annotate(n=Count("id")), key=str
        ),
        "registrations": Registration.objects.count(),
        "cases": Case.objects.count(),
        "contacts": Contact.objects.count(),
    }


def _audit_mentions(*needles: str) -> list[int]:
    found = []
    for entry in LogEntry.objects.all():
        text = json.dumps(
            [entry.object_repr, entry.changes, entry.changes_text, entry.actor_email],
            ensure_ascii=False,
        ).lower()
        if any(n.lower() in text for n in needles):
            found.append(entry.pk)
    return found


def test_erasure_deletes_or_anonymises_and_keeps_planning_figures(family):
    parent = family.parent
    other_session = _login(parent)
    assert _audit_mentions(NAME, EMAIL)  # the log named the person before
    before = _planning_counts()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = _login(parent).post(
            "/me/data/erase/", {"password": "correct-horse-9", "confirmation": EMAIL.upper()}
        )
    assert response.status_code == 200
    assert "Ihre Daten wurden gelöscht" in response.content.decode()
    assert _planning_counts() == before

    parent.refresh_from_db()
    assert parent.email == f"erased-{parent.pk}@invalid.example"
    assert (parent.full_name, parent.is_active, parent.has_usable_password()) == ("", False, False)
    assert not EmailAddress.objects.filter(user=parent).exists()
    assert not Authenticator.objects.filter(user=parent).exists()
    login = Client().post("/accounts/login/", {"login": EMAIL, "password": "correct-horse-9"})
    assert login.status_code == 200 and "_auth_user_id" not in login.client.session
    assert other_session.get("/dashboard/").status_code == 302  # every session ended

    # Applications: withdrawn, no names, birth month only, district and start kept.
    application = Application.objects.select_related("child").get(pk=family.application.pk)
    assert application.status == Application.Status.WITHDRAWN
    assert (application.child.first_name, application.child.last_name) == ("anonymised", "")
    assert application.child.birth_date.day == 1
    assert application.home_district.name == "Neustadt" and application.home_postcode == ""
    assert application.social_urgency_note == "" and application.created_by is None
    assert not application.child.guardian_links.exists()
    # The child shared with another guardian stays theirs, unchanged.
    shared = Child.objects.get(pk=family.shared_child.pk)
    assert shared.first_name == "Emre"
    assert list(shared.guardians.all()) == [family.other_parent]

    # Events: the upcoming place was freed, both registrations remain as anonymous rows.
    for pk in (family.registration.pk, family.past_registration.pk):
        registration = Registration.objects.get(pk=pk)
        assert registration.full_name == "" and registration.user is None
        assert registration.email.endswith("@invalid.example") and registration.answers == {}
    assert Registration.objects.get(pk=family.registration.pk).status == "cancelled"
    assert Registration.objects.get(pk=family.past_registration.pk).status == "confirmed"

    # Counselling: unlinked; the service's case file stays until its retention date.
    client = CounsellingClient.objects.get(pk=family.case.client_id)
    assert client.parent_user is None
    assert Case.objects.get(pk=family.case.pk).notes == CASE_NOTE

    assert not NetworkMember.objects.filter(user=parent).exists()
    assert not Membership.objects.filter(user=parent).exists()

    # The audit log no longer names the person, and records the erasure without personal data.
    left = _audit_mentions(NAME, EMAIL, "ayse.demir", "Mia ", "24941")
    assert left == [], [
        (e.content_type.model, e.object_repr, e.changes, e.actor_email)
        for e in LogEntry.objects.filter(pk__in=left)
    ]
    record = LogEntry.objects.filter(additional_data__event="gdpr_erasure").get()
    assert record.object_pk == str(parent.pk) and record.remote_addr is None
    assert NAME not in json.dumps(record.additional_data, ensure_ascii=False)
    assert not LogEntry.objects.filter(actor=parent).exclude(remote_addr=None).exists()


def test_erasure_needs_the_password_and_the_typed_address(family):
    client = _login(family.parent)
    wrong = client.post("/me/data/erase/", {"password": "nope", "confirmation": EMAIL})
    assert wrong.status_code == 400
    assert "Das Passwort ist nicht korrekt." in wrong.content.decode()
    typo = client.post("/me/data/erase/", {"password": "correct-horse-9", "confirmation": "x"})
    assert typo.status_code == 400
    family.parent.refresh_from_db()
    assert family.parent.is_active and family.parent.email == EMAIL
    assert client.get("/me/data/erase/").status_code == 405


def test_erase_form_is_protected_against_csrf(family):
    client = _login(family.parent, csrf=True)
    response = client.post(
        "/me/data/erase/", {"password": "correct-horse-9", "confirmation": EMAIL}
    )
    assert response.status_code == 403
    family.parent.refresh_from_db()
    assert family.parent.is_active


def test_nobody_can_erase_someone_else(family):
    # The views only act on request.user; the service refuses other actors unless admin.
    with pytest.raises(Exception) as excinfo:
        gdpr_erase(actor=family.counsellor, user=family.parent)
    assert type(excinfo.value).__name__ == "PermissionDenied"
    _login(family.counsellor).post(
        "/me/data/erase/", {"password": "correct-horse-9", "confirmation": EMAIL}
    )
    family.parent.refresh_from_db()
    assert family.parent.is_active and family.parent.email == EMAIL


def test_staff_erasure_keeps_work_records_without_the_name(family):
    counsellor = family.counsellor
    contact = Contact.objects.get(case=family.case)
    gdpr_erase(actor=counsellor, user=counsellor)
    counsellor.refresh_from_db()
    contact.refresh_from_db()
    assert contact.counsellor_id == counsellor.pk and contact.notes == CONTACT_NOTE
    assert str(counsellor) == f"erased-{counsellor.pk}@invalid.example"
    assert not Membership.objects.filter(user=counsellor).exists()
    assert _audit_mentions("Leyla Lotsin") == []


def test_the_only_administrator_cannot_be_erased(make_user):
    admin = User.objects.create_superuser("admin@test.example", "correct-horse-9")
    with pytest.raises(Exception) as excinfo:
        gdpr_erase(actor=admin, user=admin)
    assert type(excinfo.value).__name__ == "ValidationError"
    make_user()  # a parent can still be erased by an administrator
    parent = User.objects.exclude(pk=admin.pk).get()
    gdpr_erase(actor=admin, user=parent)
    parent.refresh_from_db()
    assert not parent.is_active
    record = LogEntry.objects.get(additional_data__event="gdpr_erasure")
    assert record.additional_data["requested_by"] == "administrator"


def test_export_of_an_erased_account_holds_nothing_personal(family):
    gdpr_erase(actor=family.parent, user=family.parent)
    data = gdpr_export(User.objects.get(pk=family.parent.pk))
    assert data["applications"]["children"] == []
    assert data["events"]["registrations"] == []
    assert data["counselling"]["clients"] == []
