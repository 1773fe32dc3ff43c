"""The organiser's list of registrations is searchable, sortable and paged (issue 17): an
event with 60 registrations was one unsearchable table."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from lotse.events.models import Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_event(make_event):
    event = make_event(capacity=100)
    Registration.objects.bulk_create(
        Registration(
            event=event,
            email=f"person{n:02d}@kita.example",
            full_name=f"Person {n:02d}",
            workplace="Kita Mürwik" if n % 10 == 0 else "Kita Sandberg",
            status=Registration.Status.CONFIRMED,
            fee_due=Decimal("40.00"),
            queue_number=n,
        )
        for n in range(1, 61)
    )
    return event


def _names(html: str) -> list[str]:
    return re.findall(r"<td>(Person \d\d)<br>", html)


def test_registrations_are_paged_search_and_sorted(client_for, organiser, busy_event):
    client = client_for(organiser)
    url = f"/events/manage/{busy_event.pk}/"
    first = _names(client.get(url).content.decode())
    second = _names(client.get(url + "?page=2").content.decode())
    assert first[0] == "Person 01" and len(first) == 25
    assert second[0] == "Person 26" and not set(first) & set(second)

    found = client.get(url + "?q=m%C3%BCrwik").content.decode()
    assert _names(found) == [f"Person {n:02d}" for n in (10, 20, 30, 40, 50, 60)]

    newest = client.get(url + "?sort=-name").content.decode()
    assert _names(newest)[:2] == ["Person 60", "Person 59"]
    assert 'aria-sort="descending"' in newest
    # Paging keeps the search and the order.
    page2 = client.get(url + "?sort=-name&page=2").content.decode()
    assert _names(page2)[0] == "Person 35"
    assert "sort=-name" in page2 and "page=3" in page2


def test_a_bad_sort_or_page_falls_back(client_for, organiser, busy_event):
    client = client_for(organiser)
    response = client.get(f"/events/manage/{busy_event.pk}/?sort=password&page=999")
    assert response.status_code == 200
    assert _names(response.content.decode())[-1] == "Person 60"  # the last page
