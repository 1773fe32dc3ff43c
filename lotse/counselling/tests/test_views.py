"""End-to-end through the forms: open a case, log a contact, consent, refer, follow up."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from lotse.counselling.models import Case, Consent, Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def lotsin(world, client_for):
    return client_for(world.lotsin)


def test_open_case_through_the_form(
    world, lotsin, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _open_case(lotsin, world)
    _check_opened_case(response, world, client_for)


def _open_case(lotsin, world):
    return lotsin.post(
        reverse("counselling:case_create"),
        {
            "organisation": world.service_a.pk,
            "alias": "Z.Z.-7",
            "languages": ["uk"],
            "children_count": 1,
            "district": world.district.pk,
            "topics": ["registration"],
            "notes": "",
            "retention_action": "anonymise",
            "parent_email": world.parent.email,
        },
    )


def _check_opened_case(response, world, client_for):
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "counselling:case", args=[case.pk]
    )
    assert case.organisation == world.service_a
    # Typing an address links nothing: the account holder is asked and must confirm.
    assert case.client.parent_user is None
    request = mail.outbox[-1]
    assert request.to == [world.parent.email]
    path = re.search(r"https?://[^/\s]+(/counselling/link/\S+)", request.body).group(1)
    assert client_for(world.lotsin).get(path).status_code == 404  # meant for someone else
    parent = client_for(world.parent)
    assert "Lotsenstelle A" in parent.get(path).content.decode()
    case.client.refresh_from_db()
    assert case.client.parent_user is None  # looking is not confirming
    assert parent.post(path).status_code == 302
    case.client.refresh_from_db()
    assert case.client.parent_user == world.parent


def test_case_form_errors_are_clear(world, lotsin):
    response = lotsin.post(
        reverse("counselling:case_create"),
        {
            "organisation": world.service_b.pk,
            "alias": "",
            "children_count": 30,
            "parent_email": "nobody@nowhere.example",
        },
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is no Lotse account" not in html  # whether an address is registered is no answer
    assert "Select a valid choice" in html  # service B is not the user's
    assert not Case.objects.exists()


def test_case_list_filters_and_shows_only_own_service(world, lotsin, open_case):
    open_case(alias="MEIN-FALL", topics=["costs"])
    open_case(alias="ANDERER", topics=["other"])
    open_case(organisation=world.service_b, actor=world.berater, alias="FREMD")
    html = lotsin.get(reverse("counselling:cases")).content.decode()
    assert "MEIN-FALL" in html and "ANDERER" in html and "FREMD" not in html
    html = lotsin.get(reverse("counselling:cases"), {"topic": "costs"}).content.decode()
    assert "MEIN-FALL" in html and "ANDERER" not in html


def test_case_list_query_count_does_not_grow(
    world, lotsin, open_case, django_assert_max_num_queries
):
    for i in range(12):
        open_case(alias=f"F-{i}")
    with django_assert_max_num_queries(14):
        assert lotsin.get(reverse("counselling:cases")).status_code == 200


def test_contact_consent_referral_task_flow(world, lotsin, open_case):
    case = open_case()
    today = timezone.localdate().isoformat()
    r = lotsin.post(
        reverse("counselling:contact_add", args=[case.pk]),
        {
            "date": today,
            "channel": "in_person",
            "duration_minutes": 45,
            "language": "ar",
            "interpreter": "on",
            "notes": "Erstgespräch",
        },
    )
    assert r.status_code == 302
    assert case.contacts.get().interpreter is True

    # A referral with data fails without consent: form shown again with the reason.
    r = lotsin.post(
        reverse("counselling:referral_add", args=[case.pk]),
        {"target": world.jugendamt_service.pk, "reason": "Rechtsanspruch", "shares_data": "on"},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 200
    assert "no active consent" in r.content.decode()
    assert not Referral.objects.exists()

    r = lotsin.post(
        reverse("counselling:consent_add", args=[case.pk]),
        {
            "purpose": "share_jugendamt",
            "given_on": today,
            "form": "written",
            "scope": "Alias und Anliegen an das Jugendamt",
        },
    )
    assert r.status_code == 302
    r = lotsin.post(
        reverse("counselling:referral_add", args=[case.pk]),
        {"target": world.jugendamt_service.pk, "reason": "Rechtsanspruch", "shares_data": "on"},
    )
    assert r.status_code == 302
    referral = Referral.objects.get()
    assert referral.consent.purpose == Consent.Purpose.SHARE_JUGENDAMT

    r = lotsin.post(
        reverse("counselling:referral_outcome", args=[referral.pk]),
        {"outcome": "accepted", "note": "Termin steht"},
    )
    assert r["Location"] == reverse("counselling:case", args=[case.pk])
    referral.refresh_from_db()
    assert referral.outcome == "accepted"

    r = lotsin.post(
        reverse("counselling:follow_up_add", args=[case.pk]),
        {
            "title": "Nachfragen",
            "due_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "assigned_to": world.lotsin2.pk,
        },
    )
    assert r.status_code == 302
    task = case.follow_ups.get()
    assert task.assigned_to == world.lotsin2
    lotsin.post(reverse("counselling:follow_up_done", args=[task.pk]))
    task.refresh_from_db()
    assert task.done_at is not None

    consent = case.consents.get()
    lotsin.post(reverse("counselling:consent_withdraw", args=[consent.pk]))
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()

    html = lotsin.get(reverse("counselling:case", args=[case.pk])).content.decode()
    assert "Erstgespräch" in html and "Rechtsanspruch" in html


def test_jugendamt_records_outcome(world, client_for, open_case, consent):
    from lotse.counselling import services

    case = open_case()
    consent(case, Consent.Purpose.SHARE_JUGENDAMT)
    referral = services.referral_send(
        actor=world.lotsin, case=case, target=world.jugendamt_service, reason="x", shares_data=True
    )
    planner = client_for(world.planner)
    assert "A.K.-01" in planner.get(reverse("counselling:incoming_referrals")).content.decode()
    r = planner.post(
        reverse("counselling:referral_outcome", args=[referral.pk]), {"outcome": "completed"}
    )
    assert r["Location"] == reverse("counselling:incoming_referral", args=[referral.pk])
    referral.refresh_from_db()
    assert referral.outcome == "completed"


def test_edit_case_and_close(world, lotsin, open_case):
    case = open_case()
    r = lotsin.post(
        reverse("counselling:case_edit", args=[case.pk]),
        {
            "alias": "A.K.-01",
            "languages": ["ar"],
            "children_count": 3,
            "topics": ["costs"],
            "counsellors": [world.lotsin.pk],
            "status": "closed",
            "outcome": "place_found",
            "notes": "fertig",
            "retention_until": case.retention_until.isoformat(),
            "retention_action": "delete",
        },
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.client.children_count == 3
    assert case.retention_action == "delete"


def test_edit_refuses_foreign_counsellor_and_early_retention(world, lotsin, open_case):
    case = open_case()
    r = lotsin.post(
        reverse("counselling:case_edit", args=[case.pk]),
        {
            "alias": "A",
            "languages": ["ar"],
            "children_count": 1,
            "topics": ["costs"],
            "counsellors": [world.berater.pk],
            "status": "open",
            "notes": "",
            "retention_until": (case.opened_on - timedelta(days=1)).isoformat(),
            "retention_action": "anonymise",
        },
        headers={"accept-language": "en"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "retention date cannot lie before" in html
    assert "Select a valid choice" in html
