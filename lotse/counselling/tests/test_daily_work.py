"""Daily work in counselling (issue 17): no referral to one's own service, referrals without
data visible to the receiving service as a count, a warning on a case without storage
consent, and the lists of cases, referrals and Fachberatung searchable and sortable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lotse.counselling import services
from lotse.counselling.models import Consent, Referral
from lotse.directory.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_service(world):
    return Service.objects.create(
        name="Lotsenstelle A (Eintrag)", kind=Service.Kind.COUNSELLING, organisation=world.service_a
    )


def test_no_referral_to_ones_own_service(world, open_case, own_service, client_for):
    case = open_case()
    with pytest.raises(ValidationError) as error:
        services.referral_send(
            actor=world.lotsin, case=case, target=own_service, reason="x", shares_data=False
        )
    assert "target" in error.value.message_dict
    assert not Referral.objects.exists()
    # The form does not offer it either.
    form = client_for(world.lotsin).get(reverse("counselling:referral_add", args=[case.pk]))
    body = form.content.decode()
    assert "Lotsenstelle A (Eintrag)" not in body and "Beratung B (Service)" in body


def test_referrals_without_data_are_a_count_for_the_receiver(world, open_case, client_for):
    for n in range(3):
        services.referral_send(
            actor=world.lotsin,
            case=open_case(alias=f"X-{n}"),
            target=world.jugendamt_service,
            reason="Bitte melden",
            shares_data=False,
        )
    page = client_for(world.planner).get(
        reverse("counselling:incoming_referrals"), headers={"accept-language": "de"}
    )
    body = page.content.decode()
    assert "Außerdem wurden 3 Familien ohne Weitergabe ihrer Daten an Sie verwiesen" in body
    assert "X-0" not in body  # never who
    # Another organisation is told nothing.
    other = client_for(world.berater).get(reverse("counselling:incoming_referrals"))
    assert "ohne Weitergabe" not in other.content.decode()


def test_a_case_without_storage_consent_warns(world, open_case, consent, client_for):
    case = open_case()
    client = client_for(world.lotsin)
    url = reverse("counselling:case", args=[case.pk])
    warning = "Keine Einwilligung zur Speicherung."
    assert warning in client.get(url, headers={"accept-language": "de"}).content.decode()
    consent(case, Consent.Purpose.STORE)
    assert warning not in client.get(url, headers={"accept-language": "de"}).content.decode()


def test_case_list_sorts_by_client(world, open_case, client_for):
    for alias in ("B-2", "A-1", "C-3"):
        open_case(alias=alias)
    client = client_for(world.lotsin)
    body = client.get(reverse("counselling:cases") + "?sort=client").content.decode()
    assert body.index("A-1") < body.index("B-2") < body.index("C-3")
    body = client.get(reverse("counselling:cases") + "?sort=-client").content.decode()
    assert body.index("C-3") < body.index("B-2") < body.index("A-1")
    assert 'aria-sort="descending"' in body
