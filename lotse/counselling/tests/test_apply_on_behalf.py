import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from lotse.applications.models import Application
from lotse.applications.services import application_claim
from lotse.counselling.models import Consent, OnBehalfApplication

pytestmark = pytest.mark.django_db


def _form(facility, **extra):
    today = timezone.localdate()
    start = date(today.year + 1, today.month, 1)
    data = {
        "first_name": "Amira",
        "last_name": "K.",
        "birth_date": "2025-03-01",
        "wish_1": facility.pk,
        "desired_start": start.isoformat(),
        "weekly_hours": 35,
        "consent": "on",
        "invitation_language": "de",
    }
    data.update(extra)
    return data


def test_apply_on_behalf_needs_consent(world, open_case, client_for, make_facility):
    case = open_case()
    client = client_for(world.lotsin)
    url = reverse("counselling:apply_on_behalf", args=[case.pk])
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "needs the client's active consent" in page
    r = client.post(url, _form(make_facility()), headers={"accept-language": "en"})
    assert r.status_code == 200
    assert "needs the client's active consent" in r.content.decode()
    assert not Application.objects.exists()


def test_apply_on_behalf_and_parent_takes_it_over(
    world, open_case, consent, client_for, make_facility
):
    case = open_case()
    consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    facility = make_facility(name="Kita Hafen")
    client = client_for(world.lotsin)
    r = client.post(reverse("counselling:apply_on_behalf", args=[case.pk]), _form(facility))
    assert r.status_code == 302, r.content.decode()
    record = OnBehalfApplication.objects.get()
    application = record.application
    assert application.counselling_organisation == world.service_a
    assert [w.facility for w in application.wishes.all()] == [facility]
    assert record.consent.purpose == Consent.Purpose.APPLY_ON_BEHALF
    token = application.invitation_token
    html = client.get(reverse("counselling:case", args=[case.pk])).content.decode()
    assert reverse("applications:claim", kwargs={"token": token}) in html

    application_claim(actor=world.parent, token=token)
    html = client.get(reverse("counselling:case", args=[case.pk])).content.decode()
    assert token not in html


def test_application_errors_show_next_to_fields(
    world, open_case, consent, client_for, make_facility
):
    case = open_case()
    consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    r = client_for(world.lotsin).post(
        reverse("counselling:apply_on_behalf", args=[case.pk]),
        _form(make_facility(), consent="", desired_start="2001-01-01"),
    )
    assert r.status_code == 200
    assert r.context["form"].errors
    assert not Application.objects.exists() and not OnBehalfApplication.objects.exists()


def test_withdrawn_consent_blocks_apply(world, open_case, consent, client_for, make_facility):
    from lotse.counselling import services

    case = open_case()
    given = consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    services.consent_withdraw(actor=world.lotsin, consent=given)
    r = client_for(world.lotsin).post(
        reverse("counselling:apply_on_behalf", args=[case.pk]), _form(make_facility())
    )
    assert r.status_code == 200
    assert not Application.objects.exists()


def test_invitation_goes_out_in_the_family_language_the_counsellor_chose(
    world,
    open_case,
    consent,
    client_for,
    make_facility,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    """The family has no account yet, so only the counsellor can say which language it reads."""
    case = open_case(languages=["ar", "de"])
    consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    client = client_for(world.lotsin)
    url = reverse("counselling:apply_on_behalf", args=[case.pk])
    form = client.get(url).context["form"]
    assert form["invitation_language"].value() == "ar"  # the client's first language Lotse speaks
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            url,
            _form(make_facility(), invitation_email="amira@test.example", invitation_language="ar"),
        )
    assert r.status_code == 302, r.content.decode()
    (mail,) = [m for m in mailoutbox if m.to == ["amira@test.example"]]
    assert re.search("[\u0600-\u06ff]", mail.subject + mail.body), mail.body
    assert Application.objects.get().invitation_language == "ar"


def test_apply_on_behalf_uses_the_facility_picker(
    world, open_case, consent, client_for, make_facility
):
    """Counsellors choose wishes with the same picker as families, over every facility."""
    case = open_case()
    consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    make_facility(name="Kita Hafen", street="Hafendamm 3", city="Kiel")
    page = (
        client_for(world.lotsin)
        .get(reverse("counselling:apply_on_behalf", args=[case.pk]))
        .content.decode()
    )
    assert "data-picker" in page and "applications/picker.js" in page
    assert '"scope": "all"' in page
    assert "Kita Hafen — Hafendamm 3" in page


def test_counsellor_applies_for_twins_placed_together(
    world, open_case, consent, client_for, make_facility
):
    case = open_case()
    consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    facility = make_facility(name="Kita Hafen")
    client = client_for(world.lotsin)
    url = reverse("counselling:apply_on_behalf", args=[case.pk])
    assert "together_with" not in client.get(url).context["form"].fields
    client.post(url, _form(facility, first_name="Lina"))
    lina = Application.objects.get(child__first_name="Lina")
    # The second twin: the form offers the case's first application to be placed with.
    assert list(client.get(url).context["form"].fields["together_with"].queryset) == [lina]
    r = client.post(
        url, _form(facility, first_name="Lea", together_with=lina.pk, together="required")
    )
    assert r.status_code == 302, r.content.decode()
    lea = Application.objects.get(child__first_name="Lea")
    lina.refresh_from_db()
    assert lea.sibling_group_id == lina.sibling_group_id is not None
    assert lea.sibling_group.together == "required"


def test_apply_on_behalf_refuses_a_facility_for_another_age(
    world, open_case, consent, client_for, make_facility
):
    case = open_case()
    consent(case, Consent.Purpose.APPLY_ON_BEHALF)
    hort = make_facility(
        name="Hort Schulweg", age_from_months=72, age_to_months=168, seats_under3=0, seats_over3=0
    )
    client = client_for(world.lotsin)
    r = client.post(
        reverse("counselling:apply_on_behalf", args=[case.pk]),
        _form(hort),
        headers={"accept-language": "en"},
    )
    assert r.status_code in (200, 422)
    assert "Hort Schulweg" in r.content.decode() and "Krippe" in r.content.decode()
    assert not Application.objects.exists()
