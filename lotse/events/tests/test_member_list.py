"""An association's member facilities (member price) as a searchable, paged list (issue 17):
an association of parent initiatives has dozens of members."""

from __future__ import annotations

import re

import pytest

from lotse.accounts.models import Organisation
from lotse.core.listing import PAGE_SIZE
from lotse.events.models import MemberOrganisation

pytestmark = pytest.mark.django_db


def test_member_facilities_are_paged_and_searched(association, organiser, make_org, client_for):
    for i in range(PAGE_SIZE + 4):
        MemberOrganisation.objects.create(
            association=association,
            member=make_org(Organisation.Kind.FACILITY, name=f"Elterninitiative {i:02d}"),
        )
    client = client_for(organiser)
    url = f"/events/manage/members/{association.pk}/"
    names = re.compile(r"<tr><td>Elterninitiative (\d\d)</td>")
    first = names.findall(client.get(url).content.decode())
    second = names.findall(client.get(url, {"page": 2}).content.decode())
    assert len(first) == PAGE_SIZE and len(second) == 4 and not set(first) & set(second)
    assert first == sorted(first)
    assert names.findall(client.get(url, {"q": "initiative 13"}).content.decode()) == ["13"]
    other = make_org(Organisation.Kind.ASSOCIATION)
    assert client.get(f"/events/manage/members/{other.pk}/").status_code == 404
