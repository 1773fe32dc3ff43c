"""A facility's list of applications naming it, and a Träger's list of facilities (issue 17):
searchable (first name or number only: data minimisation), sortable and really paged; another
facility's list is a 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from lotse.accounts.models import Organisation, Role
from lotse.core.listing import PAGE_SIZE

from .helpers import apply, next_august

pytestmark = pytest.mark.django_db

ROW = re.compile(r"<tr><td>(\d+)</td><th scope=\"row\"><a [^>]+>([^<]+)</a>")


@pytest.fixture
def kita(make_org, make_user, make_facility):
    organisation = make_org(kind=Organisation.Kind.FACILITY)
    facility = make_facility(name="Kita Sonne", organisation=organisation)
    other = make_facility(name="Kita Mond", organisation=make_org(kind=Organisation.Kind.FACILITY))
    start = next_august()
    applications = [
        apply(
            make_user(),
            [facility],
            name=f"Kind{i:02d}",
            start=start,
            birth_date=dt.date(start.year - 4, 1 + i % 12, 1),
            weekly_hours=20 + i,
        )
        for i in range(PAGE_SIZE + 5)
    ]
    staff = make_user(role=Role.FACILITY_STAFF, organisation=organisation)
    return facility, other, applications, staff


def _rows(client, facility, **params) -> list[tuple[str, str]]:
    url = reverse("applications:facility", args=[facility.pk])
    return ROW.findall(client.get(url, params).content.decode())


def test_applications_are_paged_searched_and_sorted(kita, client_for):
    facility, other, applications, staff = kita
    client = client_for(staff)
    first, second = _rows(client, facility), _rows(client, facility, page=2)
    assert len(first) == PAGE_SIZE and len(second) == 5
    assert not set(first) & set(second)
    assert {int(pk) for pk, _ in first + second} == {a.pk for a in applications}
    # First name or the application's number; never the family name before a place is taken.
    assert [name for _, name in _rows(client, facility, q="kind07")] == ["Kind07"]
    target = applications[12]
    assert _rows(client, facility, q=f"#{target.pk}") == [(str(target.pk), "Kind12")]
    assert _rows(client, facility, q=target.child.last_name) == []
    by_hours = _rows(client, facility, sort="-hours")
    assert by_hours[0][1] == f"Kind{PAGE_SIZE + 4:02d}"  # the most hours first
    page_two = client.get(
        reverse("applications:facility", args=[facility.pk]), {"sort": "-hours"}
    ).content.decode()
    assert '?sort=-hours&amp;page=2" rel="next"' in page_two
    # Another organisation's facility is a 404 for this staff.
    assert client.get(reverse("applications:facility", args=[other.pk])).status_code == 404


def test_a_trager_with_many_facilities_gets_a_paged_list(make_org, make_user, make_facility):
    from django.test import Client

    from lotse.accounts.models import Membership
    from lotse.accounts.testing import sign_in

    # A Träger's staff member: facility staff of every Kita (one organisation per facility).
    staff = make_user(role=Role.FACILITY_STAFF, organisation=make_org(Organisation.Kind.FACILITY))
    for i in range(PAGE_SIZE + 3):
        organisation = make_org(kind=Organisation.Kind.FACILITY)
        make_facility(name=f"Kita {i:02d}", organisation=organisation)
        Membership.objects.create(user=staff, organisation=organisation, role=Role.FACILITY_STAFF)
    make_facility(name="Fremde Kita", organisation=make_org(kind=Organisation.Kind.FACILITY))
    client = sign_in(Client(), staff)
    url = reverse("applications:facility_list")
    names = re.compile(r">Kita (\d\d)</a>")
    first = names.findall(client.get(url).content.decode())
    second = names.findall(client.get(url, {"page": 2}).content.decode())
    assert len(first) == PAGE_SIZE and len(second) == 3 and not set(first) & set(second)
    assert names.findall(client.get(url, {"q": "Kita 07"}).content.decode()) == ["07"]
    assert "Fremde Kita" not in client.get(url, {"q": "Fremde"}).content.decode()
