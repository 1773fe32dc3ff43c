"""A facility's public profile as its staff keep it (issue 17): opening hours editable by the
facility, line breaks kept, ages in years."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from lotse.accounts.models import Organisation, Role
from lotse.directory.models import age_range_label

pytestmark = pytest.mark.django_db


@pytest.fixture
def kita(make_org, make_facility):
    org = make_org(Organisation.Kind.FACILITY, name="Kita Regenbogen")
    return make_facility(
        name="Kita Regenbogen",
        organisation=org,
        age_from_months=12,
        age_to_months=83,
        opening_hours={"mon": ["07:30", "16:30"]},
    )


@pytest.fixture
def staff(make_user, client_for, kita):
    return client_for(make_user(Role.FACILITY_STAFF, kita.organisation))


def _profile(**changes: str) -> dict[str, str]:
    data = {
        "description": "Wir sind eine kleine Kita.\n\nMit Garten und Werkraum.",
        "phone": "0461 1",
        "email": "kita@example.org",
        "mon_opens": "07:00",
        "mon_closes": "16:00",
        "fri_opens": "07:00",
        "fri_closes": "14:00",
    }
    return data | changes


def test_staff_edit_the_opening_hours(staff, kita, client):
    url = reverse("directory:facility_profile", args=[kita.pk])
    form = staff.get(url).content.decode()
    assert 'name="mon_opens"' in form and 'value="07:30"' in form  # today's hours filled in
    assert staff.post(url, _profile()).status_code == 302
    kita.refresh_from_db()
    assert kita.opening_hours == {"mon": ["07:00", "16:00"], "fri": ["07:00", "14:00"]}
    page = client.get(reverse("directory:facility", args=[kita.pk]), HTTP_ACCEPT_LANGUAGE="de")
    body = page.content.decode()
    assert "Freitag" in body and "07:00–14:00" in body


def test_wrong_hours_are_refused_and_kept(staff, kita):
    url = reverse("directory:facility_profile", args=[kita.pk])
    response = staff.post(
        url, _profile(mon_closes="06:00", fri_closes=""), headers={"accept-language": "de"}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Die Einrichtung muss schließen, nachdem sie öffnet." in body
    assert "Bitte geben Sie Öffnungs- und Schließzeit an oder keine von beiden." in body
    assert 'value="06:00"' in body and "Mit Garten und Werkraum." in body
    kita.refresh_from_db()
    assert kita.opening_hours == {"mon": ["07:30", "16:30"]}


def test_line_breaks_in_the_description_are_kept(staff, kita, client):
    staff.post(reverse("directory:facility_profile", args=[kita.pk]), _profile())
    body = client.get(reverse("directory:facility", args=[kita.pk])).content.decode()
    assert "<p>Wir sind eine kleine Kita.</p>" in body
    assert "<p>Mit Garten und Werkraum.</p>" in body


@pytest.mark.parametrize(
    ("start", "end", "german"),
    [
        (12, 83, "1–6 Jahre"),
        (0, 35, "0–2 Jahre"),
        (8, 47, "8 Monate bis 3 Jahre"),
        (36, 47, "3 Jahre"),
        (0, 23, "0–1 Jahr"),
    ],
)
def test_ages_in_years(start, end, german):
    with translation.override("de"):
        assert age_range_label(start, end) == german
    assert age_range_label(None, 83) == ""


def test_ages_on_the_profile_and_in_the_search(kita, client):
    page = client.get(reverse("directory:facility", args=[kita.pk]), HTTP_ACCEPT_LANGUAGE="de")
    assert "1–6 Jahre" in page.content.decode()
    results = client.get(reverse("directory:search"), HTTP_ACCEPT_LANGUAGE="de")
    assert "Alter 1–6 Jahre" in results.content.decode()
