"""The facility picker for wishes and the wish list ("add to my wishes") that survives
sign-in: the plain control without JavaScript, the picker's search, the session → account
hand-over, and the same picker in the counsellor's apply-on-behalf form."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from lotse.accounts.testing import TEST_PASSWORD
from lotse.applications import services_shortlist
from lotse.applications.models import ShortlistEntry
from lotse.applications.views_shortlist import SESSION_KEY
from lotse.directory.models import District, Facility

pytestmark = pytest.mark.django_db


@pytest.fixture
def engelsby(make_facility):
    """Two facilities of one name in two districts, and one elsewhere."""
    north = District.objects.create(
        municipality="Flensburg", name="Engelsby-Nord", latitude=54.79, longitude=9.47
    )
    south = District.objects.create(
        municipality="Flensburg", name="Fruerlund", latitude=54.78, longitude=9.45
    )
    a = make_facility(
        name="Kita Engelsby",
        street="Brahmsstraße 2",
        postcode="24943",
        district=north,
        latitude=54.792,
        longitude=9.471,
    )
    b = make_facility(
        name="Kita Engelsby",
        street="Fruerlunder Straße 9",
        postcode="24944",
        district=south,
        kind=Facility.Kind.KRIPPE,
        latitude=54.781,
        longitude=9.452,
    )
    other = make_facility(name="Kita Engelsby Kiel", city="Kiel", postcode="24103")
    return a, b, other


def picker(client: Client, **params: str):
    return client.get(reverse("applications:picker"), params, headers={"HX-Request": "true"})


def test_picker_tells_facilities_of_one_name_apart(client, engelsby):
    a, b, other = engelsby
    html = picker(client, picker_q="engelsby", field="id_wish_1").content.decode()
    assert f'data-value="{a.pk}"' in html and f'data-value="{b.pk}"' in html
    assert "Brahmsstraße 2" in html and "Engelsby-Nord" in html
    assert "Fruerlunder Straße 9" in html and "Fruerlund" in html
    assert str(Facility.Kind.KRIPPE.label) in html or "Krippe" in html
    # Only facilities of this municipality can be wishes of a family.
    assert f'data-value="{other.pk}"' not in html
    assert "2 facilities found" in html or "2 Einrichtungen gefunden" in html


def test_picker_searches_the_district_and_measures_from_home(client, engelsby):
    a, b, _ = engelsby
    html = picker(client, picker_q="fruerlund", home_postcode="24943").content.decode()
    assert f'data-value="{b.pk}"' in html and f'data-value="{a.pk}"' not in html
    assert "km" in html  # distance from the family's postcode
    without_home = picker(client, picker_q="fruerlund").content.decode()
    assert " km" not in without_home


def test_picker_counsellors_see_every_facility(client, engelsby):
    _, _, other = engelsby
    html = picker(client, picker_q="engelsby kiel", scope="all").content.decode()
    assert f'data-value="{other.pk}"' in html


def test_picker_asks_for_more_letters_and_says_when_nothing_matches(client, engelsby):
    short = picker(client, picker_q="e").content.decode()
    assert "data-value" not in short and "data-picker-message" in short
    none = picker(client, picker_q="zzzz").content.decode()
    assert "data-value" not in none
    assert "No facility found" in none or "Keine Einrichtung gefunden" in none


def test_application_form_is_a_plain_select_without_javascript(client_for, make_user, engelsby):
    a, b, _ = engelsby
    html = client_for(make_user()).get(reverse("applications:new")).content.decode()
    # Each option names address, district and kind, so two "Kita Engelsby" differ.
    assert "Kita Engelsby — Brahmsstraße 2, 24943 · Engelsby-Nord" in html
    assert "Kita Engelsby — Fruerlunder Straße 9, 24944 · Fruerlund" in html
    assert '<select name="wish_1"' in html
    # The search field is there for the script, hidden without it, and uses data-hx-*.
    assert 'class="picker-ui" hidden' in html
    assert 'data-hx-get="/applications/picker/"' in html and " hx-get" not in html
    assert "applications/picker.js" in html


def test_shortlist_survives_sign_in_and_prefills_the_application(client, make_user, engelsby):
    a, b, _ = engelsby
    parent = make_user()
    for facility in (b, a):
        response = client.post(
            reverse("applications:shortlist_add"), {"facility": facility.pk, "next": "/"}
        )
        assert response.status_code == 302
    assert client.session[SESSION_KEY] == [b.pk, a.pk]
    page = client.get(reverse("applications:shortlist")).content.decode()
    assert page.index("Fruerlunder") < page.index("Brahmsstraße")

    # The real sign-in form (allauth), not force_login: the list must survive it.
    response = client.post(
        reverse("account_login"), {"login": parent.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    form = client.get(reverse("applications:new")).content.decode()
    assert list(
        ShortlistEntry.objects.filter(user=parent).values_list("facility_id", flat=True)
    ) == [b.pk, a.pk]
    assert SESSION_KEY not in client.session
    assert (
        f'<option value="{b.pk}" selected>' in form.split('name="wish_1"')[1].split("</select>")[0]
    )
    assert (
        f'<option value="{a.pk}" selected>' in form.split('name="wish_2"')[1].split("</select>")[0]
    )


def test_add_from_search_and_facility_page(client, engelsby):
    a, _, _ = engelsby
    search = client.get(reverse("directory:search"), {"q": "engelsby"}).content.decode()
    assert "Add to my wishes" in search or "Zu meinen Wünschen" in search
    assert f'name="facility" value="{a.pk}"' in search
    detail = client.get(reverse("directory:facility", args=[a.pk])).content.decode()
    assert reverse("applications:shortlist_add") in detail
    # htmx swaps the button for "on your list".
    response = client.post(
        reverse("applications:shortlist_add"),
        {"facility": a.pk},
        headers={"HX-Request": "true"},
    )
    assert f'data-shortlisted="{a.pk}"' in response.content.decode()
    detail = client.get(reverse("directory:facility", args=[a.pk])).content.decode()
    assert f'data-shortlisted="{a.pk}"' in detail
    client.post(reverse("applications:shortlist_remove"), {"facility": a.pk})
    assert client.session[SESSION_KEY] == []


def test_shortlist_add_refuses_unknown_facility_and_foreign_next(client, engelsby):
    a, _, _ = engelsby
    assert (
        client.post(reverse("applications:shortlist_add"), {"facility": "999999"}).status_code
        == 404
    )
    response = client.post(
        reverse("applications:shortlist_add"), {"facility": a.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("applications:shortlist")


def test_submitting_takes_the_wishes_off_the_list(client_for, make_user, engelsby):
    a, b, _ = engelsby
    parent = make_user()
    services_shortlist.shortlist_merge(actor=parent, facility_ids=[a.pk, b.pk])
    client = client_for(parent)
    response = client.post(
        reverse("applications:new"),
        {
            "first_name": "Mia",
            "last_name": "Jensen",
            "birth_date": "2023-03-15",
            "desired_start": "2027-08",
            "weekly_hours": "35",
            "wish_1": a.pk,
            "consent": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(
        ShortlistEntry.objects.filter(user=parent).values_list("facility_id", flat=True)
    ) == [b.pk]


def test_shortlist_services_check_actor_and_limit(make_user, make_facility):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services_shortlist.shortlist_add(actor=AnonymousUser(), facility=make_facility())
    parent = make_user()
    facilities = [make_facility() for _ in range(services_shortlist.SHORTLIST_LIMIT + 2)]
    # The hand-over from the session drops what does not fit instead of failing the sign-in.
    added = services_shortlist.shortlist_merge(
        actor=parent, facility_ids=[f.pk for f in facilities] + [999999]
    )
    assert added == services_shortlist.SHORTLIST_LIMIT
    with pytest.raises(ValidationError):
        services_shortlist.shortlist_add(actor=parent, facility=facilities[-1])
    assert services_shortlist.shortlist_add(actor=parent, facility=facilities[0]) is False
    assert services_shortlist.shortlist_remove(actor=parent, facility_ids=[facilities[0].pk]) == 1


def test_wish_list_is_in_the_data_export_and_goes_with_erasure(make_user, engelsby):
    from lotse.accounts.gdpr import gdpr_export
    from lotse.applications.gdpr import erase_user_data

    a, _, _ = engelsby
    parent, other = make_user(), make_user()
    services_shortlist.shortlist_merge(actor=parent, facility_ids=[a.pk])
    services_shortlist.shortlist_merge(actor=other, facility_ids=[a.pk])
    assert gdpr_export(parent)["applications"]["wish_list"] == ["Kita Engelsby"]
    erase_user_data(parent)
    assert not ShortlistEntry.objects.filter(user=parent).exists()
    assert ShortlistEntry.objects.filter(user=other).exists()


def test_retention_removes_wish_list_entries_after_24_months(make_user, engelsby):
    import datetime as dt

    from django.utils import timezone

    from lotse.applications.retention import retention_job

    a, b, _ = engelsby
    parent = make_user()
    services_shortlist.shortlist_merge(actor=parent, facility_ids=[a.pk, b.pk])
    ShortlistEntry.objects.filter(facility=a).update(
        created_at=timezone.now() - dt.timedelta(days=25 * 31)
    )
    report = retention_job(timezone.now())
    assert "1 wish-list entr(ies) removed" in report[0]
    assert list(ShortlistEntry.objects.values_list("facility_id", flat=True)) == [b.pk]


def test_a_visitors_wish_list_keeps_the_same_limit(client, make_facility):
    """Before sign-in the list lives in the session, under the limit of an account's list."""
    limit = services_shortlist.SHORTLIST_LIMIT
    facilities = [make_facility() for _ in range(limit + 1)]
    for facility in facilities:
        response = client.post(
            reverse("applications:shortlist_add"),
            {"facility": facility.pk, "next": "/"},
            HTTP_ACCEPT_LANGUAGE="de",
            follow=True,
        )
    assert client.session["applications:shortlist"] == [f.pk for f in facilities[:limit]]
    assert "höchstens 20" in response.content.decode()
