"""Every URL of the app: anonymous → login, no role → 403, another service → 404 / nothing."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import get_resolver, reverse
from django.utils import timezone

from lotse.counselling import services
from lotse.counselling.models import Case, Consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(world, open_case, consent):
    """A case of service A with everything attached, and a consultation for the facility."""
    case = open_case(alias="GEHEIM-ALIAS")
    share = consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    referral = services.referral_send(
        actor=world.lotsin,
        case=case,
        target=world.jugendamt_service,
        reason="Grund",
        shares_data=True,
    )
    task = services.follow_up_add(
        actor=world.lotsin,
        case=case,
        title="Anrufen",
        due_on=timezone.localdate() + timedelta(days=1),
    )
    consultation = services.consultation_create(
        actor=world.verband,
        advisor=world.association,
        facility=world.facility,
        date=timezone.localdate(),
        format="on_site",
        topics=["board"],
        participants="Vorstand",
        summary="GEHEIME-SITZUNG",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = services.consultation_document_add(
        actor=world.verband,
        consultation=consultation,
        title="Protokoll",
        file=SimpleUploadedFile("p.txt", b"Protokoll"),
    )
    return {
        "case": case,
        "consent": share,
        "referral": referral,
        "task": task,
        "consultation": consultation,
        "document": document,
    }


#: url name → (object key or None, HTTP method, roles that may use it at all)
URLS = {
    "cases": (None, "get"),
    "case_create": (None, "get"),
    "case": ("case", "get"),
    "case_edit": ("case", "get"),
    "contact_add": ("case", "get"),
    "consent_add": ("case", "get"),
    "referral_add": ("case", "get"),
    "follow_up_add": ("case", "get"),
    "apply_on_behalf": ("case", "get"),
    "consent_withdraw": ("consent", "post"),
    "follow_up_done": ("task", "post"),
    "referral_outcome": ("referral", "post"),
    "incoming_referrals": (None, "get"),
    "incoming_referral": ("referral", "get"),
    "report": (None, "get"),
    "report_csv": (None, "get"),
    "report_pdf": (None, "get"),
    "consultations": (None, "get"),
    "consultation_create": (None, "get"),
    "consultation": ("consultation", "get"),
    "consultation_edit": ("consultation", "get"),
    "document_add": ("consultation", "post"),
    "document": ("document", "get"),
}


def _url(name, objects):
    key, _method = URLS[name]
    return reverse(f"counselling:{name}", args=[objects[key].pk] if key else [])


#: Links from e-mails, for one signed-in account only; tested where they are explained.
TOKEN_URLS = {"link_confirm": "test_parent_link.py (only the invited account; 404 otherwise)"}


#: Help from a person: the family's form and the counsellors' intake list; their scoping (the
#: family's own application, the counsellors' own service, 404 otherwise) is tested there.
HELP_URLS = {
    "help_request": "test_help_request.py (a foreign application is a 404)",
    "intake": "test_help_request.py (only the own service's requests)",
    "intake_open_case": "test_help_request.py",
    "intake_close": "test_help_request.py (another service: 404)",
}


def test_every_url_is_in_the_access_table():
    names = {p.name for p in get_resolver("lotse.counselling.urls").url_patterns}
    assert names == set(URLS) | set(TOKEN_URLS) | set(HELP_URLS)


# One fixture set-up per test, all URLs in a loop: the same proof, a third of the run time.


def test_anonymous_is_sent_to_login(objects, client):
    for name, (_key, method) in URLS.items():
        response = getattr(client, method)(_url(name, objects))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name


def test_parent_without_role_is_forbidden(objects, world, client_for):
    client = client_for(world.parent)
    for name, (_key, method) in URLS.items():
        assert getattr(client, method)(_url(name, objects)).status_code == 403, name


#: What the counsellor of service B (another service) gets: 404 for A's objects; own lists OK.
OTHER_SERVICE = {
    "cases": 200,
    "case_create": 200,
    "case": 404,
    "case_edit": 404,
    "contact_add": 404,
    "consent_add": 404,
    "referral_add": 404,
    "follow_up_add": 404,
    "apply_on_behalf": 404,
    "consent_withdraw": 404,
    "follow_up_done": 404,
    "referral_outcome": 404,
    "incoming_referrals": 200,
    "incoming_referral": 404,
    "report": 200,
    "report_csv": 200,
    "report_pdf": 200,
    "consultations": 200,
    "consultation_create": 200,
    "consultation": 404,
    "consultation_edit": 404,
    "document_add": 404,
    "document": 404,
}


def test_other_service_gets_no_access(objects, world, client_for):
    """Counsellor of service B on every URL: A's objects are 404, B's own pages hold nothing
    of A (checked in the HTML and CSV; the PDF is checked in test_statistics)."""
    assert set(OTHER_SERVICE) == set(URLS)
    client = client_for(world.berater)
    for name, (_key, method) in URLS.items():
        response = getattr(client, method)(_url(name, objects))
        assert response.status_code == OTHER_SERVICE[name], name
        if response.status_code == 200 and not response.streaming:
            assert b"GEHEIM-ALIAS" not in response.content, name
            assert b"GEHEIME-SITZUNG" not in response.content, name


def test_the_jugendamt_gets_no_case_content(objects, world, client_for):
    """The planner of the target Jugendamt: no case pages (403: no counsellor role), the
    referral itself only (see below)."""
    client = client_for(world.planner)
    for name in (
        "cases",
        "case",
        "case_edit",
        "contact_add",
        "consent_add",
        "report",
        "consultations",
        "document",
    ):
        assert client.get(_url(name, objects)).status_code == 403, name


def test_other_service_cannot_write_into_a_foreign_case(objects, world, client_for):
    client = client_for(world.berater)
    case = objects["case"]
    today = timezone.localdate().isoformat()
    posts = {
        "contact_add": {"date": today, "channel": "phone", "duration_minutes": 5, "language": "de"},
        "consent_add": {"purpose": "store", "given_on": today, "form": "written", "scope": "x"},
        "referral_add": {"target": world.jugendamt_service.pk, "reason": "x"},
        "follow_up_add": {"title": "x", "due_on": today},
    }
    for name, data in posts.items():
        response = client.post(reverse(f"counselling:{name}", args=[case.pk]), data)
        assert response.status_code == 404
    assert case.contacts.count() == 0
    assert case.consents.count() == 1 and case.referrals.count() == 1


def test_other_service_report_cannot_choose_foreign_service(objects, world, client_for):
    response = client_for(world.berater).get(
        reverse("counselling:report_csv"), {"service": world.service_a.pk, "year": 2026}
    )
    assert response.status_code == 400


def test_jugendamt_sees_consented_referral_but_not_the_case(objects, world, client_for):
    client = client_for(world.planner)
    referral = objects["referral"]
    response = client.get(reverse("counselling:incoming_referral", args=[referral.pk]))
    assert response.status_code == 200
    assert b"GEHEIM-ALIAS" in response.content
    assert "Mutter sucht Krippenplatz" not in response.content.decode()  # case notes
    assert client.get(reverse("counselling:case", args=[objects["case"].pk])).status_code == 403
    services.consent_withdraw(actor=world.lotsin, consent=objects["consent"])
    response = client.get(reverse("counselling:incoming_referral", args=[referral.pk]))
    assert response.status_code == 404


def test_facility_staff_read_their_consultations_only(
    objects, world, client_for, make_org, make_user
):
    kita = client_for(world.kita)
    consultation = objects["consultation"]
    assert kita.get(reverse("counselling:consultation", args=[consultation.pk])).status_code == 200
    assert (
        kita.get(reverse("counselling:document", args=[objects["document"].pk])).status_code == 200
    )
    assert (
        kita.get(reverse("counselling:consultation_edit", args=[consultation.pk])).status_code
        == 403
    )
    other_facility = make_org("facility")
    stranger = client_for(make_user("facility_staff", other_facility))
    assert (
        stranger.get(reverse("counselling:consultation", args=[consultation.pk])).status_code == 404
    )
    assert (
        stranger.get(reverse("counselling:document", args=[objects["document"].pk])).status_code
        == 404
    )


def test_reading_a_case_is_audit_logged(objects, world, client_for):
    case = objects["case"]
    response = client_for(world.lotsin2).get(reverse("counselling:case", args=[case.pk]))
    assert response.status_code == 200
    entry = LogEntry.objects.get_for_model(Case).get(
        object_pk=str(case.pk), action=LogEntry.Action.ACCESS
    )
    assert entry.actor == world.lotsin2


def test_jugendamt_read_is_audit_logged(objects, world, client_for):
    referral = objects["referral"]
    client_for(world.planner).get(reverse("counselling:incoming_referral", args=[referral.pk]))
    entry = LogEntry.objects.get_for_model(Case).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == world.planner


def test_api_statistics_is_scoped(objects, world, client_for):
    url = "/api/v1/counselling/statistics"
    assert (
        client_for(None).get(url, {"service": world.service_a.pk, "year": 2026}).status_code == 401
    )
    assert (
        client_for(world.berater)
        .get(url, {"service": world.service_a.pk, "year": 2026})
        .status_code
        == 404
    )
    response = client_for(world.lotsin).get(
        url, {"service": world.service_a.pk, "year": timezone.localdate().year}
    )
    assert response.status_code == 200
    assert "GEHEIM" not in response.content.decode()
