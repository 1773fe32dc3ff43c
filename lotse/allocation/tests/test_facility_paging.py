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


def test_the_audit_log_of_an_application_is_paged_not_cut(
    client_for, make_org, make_user, make_facility
):
    """Every visit adds an access entry; the page showed the newest 200 and dropped the rest."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from lotse.applications.models import Application

    org, planner = jugendamt(make_org, make_user)
    application = apply(make_user(), [make_facility()], name="Mia")
    kind = ContentType.objects.get_for_model(Application)
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=kind,
            object_pk=str(application.pk),
            object_id=application.pk,
            object_repr=f"Eintrag {i:03d}",
            action=LogEntry.Action.ACCESS,
            changes={},
        )
        for i in range(230)
    )
    total = LogEntry.objects.filter(content_type=kind, object_pk=str(application.pk)).count()
    client = client_for(planner)
    url = reverse("allocation:application", args=[application.pk])
    newest = client.get(url).context["audit"]
    assert newest.count >= total > 200 and len(newest.page) == 25
    # Oldest first: the first entries are there (the newest 200 alone would miss them).
    oldest = client.get(url, {"audit_sort": "when"}).context["audit"]
    assert "Eintrag 000" in [e.object_repr for e in oldest.page]
    last = client.get(url, {"audit_page": newest.page.paginator.num_pages + 1})
    assert "Eintrag 000" in [e.object_repr for e in last.context["audit"].page]
