"""The planner's view of one facility (issue 17): its offers and its waiting list each page on
their own (``offer_page``, ``waiting_page``) instead of listing hundreds of rows; the offers are
searchable and sortable."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lotse.applications.tests.helpers import (
    apply,
    jugendamt,
    kindergarten_birth,
    next_august,
    published_round,
    rules,
    seats,
)
from lotse.core.listing import PAGE_SIZE

pytestmark = pytest.mark.django_db

CHILD = re.compile(r"<th scope=\"row\"><a href=\"/allocation/applications/\d+/\">(K\d\d) ")


def test_offers_and_waiting_list_page_separately(client_for, make_org, make_user, make_facility):
    org, planner = jugendamt(make_org, make_user)
    big, small = make_facility(name="Kita Groß"), make_facility(name="Kita Klein")
    start = next_august()
    seats(big, PAGE_SIZE + 2, start)
    seats(small, 1, start)
    for i in range(PAGE_SIZE + 2):
        apply(make_user(), [big], name=f"K{i:02d}", birth_date=kindergarten_birth(start))
    for i in range(PAGE_SIZE + 3):
        apply(make_user(), [small], name=f"W{i:02d}", birth_date=kindergarten_birth(start))
    published_round(org, planner, rules(org, planner, criteria=("age",)))
    client = client_for(planner)
    url = reverse("allocation:facility", args=[big.pk])
    first = CHILD.findall(client.get(url).content.decode())
    second = CHILD.findall(client.get(url, {"offer_page": 2}).content.decode())
    assert len(first) == PAGE_SIZE and len(second) == 2 and not set(first) & set(second)
    assert CHILD.findall(client.get(url, {"offer_q": "K07"}).content.decode()) == ["K07"]
    # The small Kita: one offer, PAGE_SIZE + 2 children waiting, in order over two pages.
    url = reverse("allocation:facility", args=[small.pk])
    waiting = client.get(url).context["waiting"]
    assert waiting.paginator.count == PAGE_SIZE + 2 and len(waiting) == PAGE_SIZE
    later = client.get(url, {"waiting_page": 2, "offer_q": "W"})
    assert [e.position for e in later.context["waiting"]] == [PAGE_SIZE + 1, PAGE_SIZE + 2]
    body = later.content.decode()
    assert "waiting_page=1&amp;offer_q=W" in body  # the offers' search stays in the links
