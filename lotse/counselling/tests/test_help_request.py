"""Help from a person: a family asks for help from its status page; the request reaches the
chosen counselling service's intake list in the family's language, with consent, audit-logged,
with a confirmation mail in the family's language; a counsellor opens a case from it."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from lotse.applications.tests.helpers import apply, committed, next_august
from lotse.counselling import services_help
from lotse.counselling.models import HelpRequest
from lotse.directory.models import Language, Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def lotsenstelle(world):
    service = Service.objects.create(
        name="Lotsenstelle Nord",
        kind=Service.Kind.COUNSELLING,
        organisation=world.service_a,
        phone="0461 123456",
        email="lotsen@nord.example",
        street="Hafenstraße 1",
        postcode="24937",
        city="Flensburg",
        opening_hours={"tue": ["09:00", "12:00"], "thu": ["14:00", "18:00"]},
    )
    service.languages.add(
        Language.objects.create(code="ar", name="العربية"),
        Language.objects.create(code="tr", name="Türkçe"),
    )
    return service


@pytest.fixture
def family(make_user, make_facility):
    parent = make_user(language="ar")
    application = apply(parent, [make_facility(name="Kita Möwe")], start=next_august())
    return parent, application


def test_request_reaches_intake_in_the_family_language_with_consent(
    world, lotsenstelle, family, client_for, mailoutbox
):
    parent, application = family
    mailoutbox.clear()
    client = client_for(parent)
    url = reverse("counselling:help_request") + f"?application={application.pk}"
    page = client.get(url, headers={"accept-language": "ar"}).content.decode()
    assert 'dir="rtl"' in page and "Lotsenstelle Nord" in page and "Türkçe" in page
    with committed():
        response = client.post(
            url,
            {
                "service": lotsenstelle.pk,
                "language": "ar",
                "contact_way": "phone",
                "phone": "0151 000",
                "message": "Ich brauche Hilfe",
                "consent": "on",
            },
        )
    assert response.status_code == 302
    request = HelpRequest.objects.get()
    assert (request.organisation, request.language, request.application) == (
        world.service_a,
        "ar",
        application,
    )
    assert request.consent_at is not None and request.status == "new"
    to_family = [m for m in mailoutbox if parent.email in m.to]
    assert len(to_family) == 1 and "Lotsenstelle Nord" in to_family[0].body
    assert "الاستشارة" in to_family[0].body  # Arabic, the family's language
    to_counsellors = [m for m in mailoutbox if world.lotsin.email in m.to]
    assert to_counsellors and parent.email not in to_counsellors[0].body  # no personal data
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(HelpRequest), object_pk=str(request.pk)
    )
    assert entry.actor == parent
    # The counsellors of that service see it in their intake list; another service does not.
    intake = client_for(world.lotsin).get(reverse("counselling:intake")).content.decode()
    assert f'data-request="{request.pk}"' in intake and "Kita Möwe" in intake
    other = client_for(world.berater).get(reverse("counselling:intake")).content.decode()
    assert f'data-request="{request.pk}"' not in other


def test_no_request_without_consent_and_the_form_keeps_the_input(lotsenstelle, family, client_for):
    parent, application = family
    response = client_for(parent).post(
        reverse("counselling:help_request"),
        {
            "application": application.pk,
            "service": lotsenstelle.pk,
            "language": "tr",
            "contact_way": "email",
            "message": "Yardım lütfen",
        },
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Without your consent" in html and "Yardım lütfen" in html
    assert not HelpRequest.objects.exists()


def test_service_guards_consent_and_foreign_applications(lotsenstelle, family, make_user):
    parent, application = family
    with pytest.raises(ValidationError):
        services_help.help_request_create(
            actor=parent,
            service=lotsenstelle,
            application=application,
            contact_way="email",
            language="ar",
            consent=False,
        )
    with pytest.raises(PermissionDenied):
        services_help.help_request_create(
            actor=make_user(),
            service=lotsenstelle,
            application=application,
            contact_way="email",
            language="de",
            consent=True,
        )
    assert not HelpRequest.objects.exists()


def test_counsellor_opens_a_case_from_the_request(world, lotsenstelle, family, client_for):
    parent, application = family
    request = services_help.help_request_create(
        actor=parent,
        service=lotsenstelle,
        application=application,
        contact_way="email",
        language="ar",
        consent=True,
    )
    client = client_for(world.lotsin)
    response = client.post(
        reverse("counselling:intake_open_case", args=[request.pk]), {"alias": "AK-1"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "accepted" and request.case is not None
    assert request.case.client.languages == ["ar"]
    assert request.case.client.parent_user == parent
    # Another service's counsellor cannot touch it.
    other = client_for(world.berater)
    assert other.post(reverse("counselling:intake_close", args=[request.pk])).status_code == 404


def test_status_page_shows_contact_ways_hours_languages_and_the_ask_link(
    lotsenstelle, family, client_for
):
    parent, application = family
    html = (
        client_for(parent)
        .get(
            reverse("applications:detail", args=[application.pk]), headers={"accept-language": "de"}
        )
        .content.decode()
    )
    assert "0461 123456" in html and "lotsen@nord.example" in html
    assert "Dienstag" in html and "09:00–12:00" in html
    assert "العربية" in html and "Türkçe" in html
    assert reverse("counselling:help_request") + f"?application={application.pk}" in html


def test_gdpr_export_and_erasure_cover_help_requests(lotsenstelle, family):
    from lotse.counselling.gdpr import erase_user_data, export_user_data

    parent, application = family
    services_help.help_request_create(
        actor=parent,
        service=lotsenstelle,
        application=application,
        contact_way="email",
        language="ar",
        message="Hilfe",
        consent=True,
    )
    exported = export_user_data(parent)["help_requests"]
    assert exported[0]["message"] == "Hilfe" and exported[0]["consent_at"]
    erase_user_data(parent)
    assert not HelpRequest.objects.exists()
