"""Dates that make sense in counselling (issue 17): no Fachberatung or contact in the future,
no follow-up due in the past, and a case may record a first contact made before it was
entered (the opening date is editable)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from lotse.counselling.models import Case, Consultation, Contact

from .test_fachberatung import _data

pytestmark = pytest.mark.django_db


def test_no_fachberatung_in_the_future(world, client_for):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(world.verband).post(
        reverse("counselling:consultation_create"), _data(world, date=tomorrow.isoformat())
    )
    body = response.content.decode()
    assert "in der Zukunft" in body
    assert "Förderantrag besprochen" in body  # what was typed comes back
    assert not Consultation.objects.exists()


def test_no_follow_up_due_in_the_past(world, client_for, open_case):
    case = open_case()
    response = client_for(world.lotsin).post(
        reverse("counselling:follow_up_add", args=[case.pk]),
        {"title": "Rückruf", "due_on": "2020-01-10"},
    )
    assert "bereits vorbei" in response.content.decode()
    assert not case.follow_ups.exists()


def _case(world, **changes):
    data = {
        "organisation": world.service_a.pk,
        "alias": "B.M.-07",
        "languages": ["tr"],
        "children_count": "1",
        "topics": ["finding_place"],
        "notes": "",
        "retention_action": "anonymise",
    }
    return data | changes


def test_a_first_contact_before_the_case_was_entered(world, client_for):
    client = client_for(world.lotsin)
    first_contact = timezone.localdate() - timedelta(days=9)
    response = client.post(
        reverse("counselling:case_create"), _case(world, opened_on=first_contact.isoformat())
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    case = Case.objects.get(client__alias="B.M.-07")
    assert case.opened_on == first_contact
    response = client.post(
        reverse("counselling:contact_add", args=[case.pk]),
        {
            "date": first_contact.isoformat(),
            "channel": Contact._meta.get_field("channel").choices[0][0],
            "duration_minutes": "30",
            "language": "tr",
            "notes": "Erstgespräch",
        },
    )
    assert case.contacts.get().date == first_contact


def test_no_case_opened_in_the_future(world, client_for):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(world.lotsin).post(
        reverse("counselling:case_create"), _case(world, opened_on=tomorrow.isoformat())
    )
    body = response.content.decode()
    assert "in der Zukunft" in body and 'value="B.M.-07"' in body
    assert not Case.objects.filter(client__alias="B.M.-07").exists()


def test_the_opening_date_moves_back_but_not_after_a_contact(world, client_for, open_case):
    from lotse.counselling import services

    case = open_case()
    today = timezone.localdate()
    services.contact_log(
        actor=world.lotsin,
        case=case,
        date=today,
        channel=Contact._meta.get_field("channel").choices[0][0],
        duration_minutes=20,
        language="de",
        interpreter=False,
    )
    edit = {
        "alias": "A.K.-01",
        "languages": ["ar"],
        "children_count": 2,
        "topics": ["finding_place"],
        "counsellors": [world.lotsin.pk],
        "status": "open",
        "outcome": "",
        "notes": "",
        "retention_until": case.retention_until.isoformat(),
        "retention_action": "anonymise",
    }
    client = client_for(world.lotsin)
    url = reverse("counselling:case_edit", args=[case.pk])
    earlier = today - timedelta(days=20)
    assert client.post(url, edit | {"opened_on": earlier.isoformat()}).status_code == 302
    case.refresh_from_db()
    assert case.opened_on == earlier
    # A contact five days ago: the case cannot be opened after it.
    Contact.objects.filter(case=case).update(date=today - timedelta(days=5))
    with translation.override("en"), pytest.raises(ValidationError, match="first recorded"):
        services.case_update(
            actor=world.lotsin,
            case=case,
            alias="A.K.-01",
            languages=["ar"],
            children_count=2,
            district=None,
            parent_email="",
            topics=["finding_place"],
            counsellors=[world.lotsin],
            status="open",
            outcome="",
            notes="",
            retention_until=case.retention_until,
            retention_action="anonymise",
            opened_on=today - timedelta(days=2),
        )
