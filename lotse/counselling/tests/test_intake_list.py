"""The counsellors' intake list (issue 17): every request from a family is reachable — the list
showed the first 100 and silently dropped the rest. Searchable, sortable, paged, filtered by
status with counts; new requests first; only the user's own services' requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lotse.core.listing import PAGE_SIZE
from lotse.counselling.models import HelpRequest

pytestmark = pytest.mark.django_db

REQUEST = re.compile(r'data-request="(\d+)" data-status="(\w+)"')


def _requests(client, **params) -> list[tuple[str, str]]:
    return REQUEST.findall(client.get(reverse("counselling:intake"), params).content.decode())


@pytest.fixture
def requests(world, make_user):
    """130 requests to service A (more than the old cut-off of 100), 2 to service B."""
    now = timezone.now()
    rows = []
    for i in range(130):
        status = HelpRequest.Status.NEW if i % 3 == 0 else HelpRequest.Status.CLOSED
        rows.append(
            HelpRequest(
                organisation=world.service_a,
                requester=make_user(full_name=f"Familie {i:03d}"),
                language="tr",
                contact_way=HelpRequest.ContactWay.EMAIL,
                consent_at=now,
                status=status,
            )
        )
    for i in range(2):
        rows.append(
            HelpRequest(
                organisation=world.service_b,
                requester=make_user(full_name=f"Fremd {i}"),
                language="de",
                contact_way=HelpRequest.ContactWay.PHONE,
                consent_at=now,
            )
        )
    created = HelpRequest.objects.bulk_create(rows)
    # Received one minute apart, the first one longest ago.
    for i, item in enumerate(created):
        HelpRequest.objects.filter(pk=item.pk).update(
            created_at=now - timedelta(minutes=len(created) - i)
        )
    return created


def test_every_request_is_on_some_page(world, requests, client_for):
    client = client_for(world.lotsin)
    seen: list[tuple[str, str]] = []
    for page in range(1, 7):
        seen += _requests(client, page=page)
    own = {str(r.pk) for r in requests if r.organisation_id == world.service_a.pk}
    assert {pk for pk, _status in seen} == own  # all 130, none of service B's
    assert len(seen) == 130
    page_one = _requests(client)
    assert len(page_one) == PAGE_SIZE
    # New requests first (44 of them), the newest on top.
    assert {status for _pk, status in page_one} == {"new"}
    assert int(page_one[0][0]) > int(page_one[1][0])


def test_status_filter_with_counts_kept_in_the_page_links(world, requests, client_for):
    client = client_for(world.lotsin)
    closed = _requests(client, status="closed", page=2)
    assert closed and {status for _pk, status in closed} == {"closed"}
    body = client.get(
        reverse("counselling:intake"), {"status": "closed"}, headers={"accept-language": "de"}
    ).content.decode()
    assert "Neu (44)" in body and "Ohne Fall geschlossen (86)" in body and "alle (130)" in body
    assert '?status=closed&amp;page=2" rel="next"' in body


def test_search_by_name_and_sort_by_date(world, requests, client_for):
    client = client_for(world.lotsin)
    found = _requests(client, q="Familie 042")
    assert [pk for pk, _ in found] == [str(requests[42].pk)]
    assert _requests(client, q="Fremd") == []  # another service's family is not found
    oldest_first = _requests(client, sort="received")
    assert oldest_first[0][0] == str(requests[0].pk)


def test_closing_returns_to_the_same_view_of_the_list(world, requests, client_for):
    client = client_for(world.lotsin)
    item = requests[0]
    url = reverse("counselling:intake_close", args=[item.pk])
    response = client.post(url + "?status=new&page=2")
    assert response.status_code == 302
    assert response["Location"] == reverse("counselling:intake") + "?status=new&page=2"
    # Another service's request stays a 404.
    foreign = requests[-1]
    assert client.post(reverse("counselling:intake_close", args=[foreign.pk])).status_code == 404
