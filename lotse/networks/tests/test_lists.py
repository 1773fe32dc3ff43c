"""Staff lists of a network (issue 17): tasks, people, member organisations, meetings and
documents are searchable, sortable and really paged (page 2 is not page 1, nothing past a
cut-off disappears), the page links keep the filters, and a working group's page links to all
of its meetings and documents instead of showing the first ten."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from lotse.core.listing import PAGE_SIZE
from lotse.networks.models import (
    Document,
    Meeting,
    MemberOrganisation,
    NetworkMember,
    NetworkRole,
    Task,
)

from .conftest import PDF

pytestmark = pytest.mark.django_db

MANY = PAGE_SIZE + 5
# One match per row (the buttons repeat the name for screen readers).
TASK = r"<tr><td>Aufgabe (\d\d)"
PERSON = r"<tr><td>Person (\d\d)</td>"
ORGANISATION = r"<tr><td>Verein (\d\d)</td>"
MEETING = r">Sitzung (\d\d)</a>"
DOCUMENT = r">Papier (\d\d)</a>"


def _found(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


def _pages(client, url: str, pattern: str, params: dict | None = None) -> tuple[list, list]:
    params = params or {}
    first = _found(client.get(url, {**params, "page": 1}).content.decode(), pattern)
    second = _found(client.get(url, {**params, "page": 2}).content.decode(), pattern)
    return first, second


def test_tasks_are_paged_searched_and_filtered(world, client_for):
    for i in range(MANY):
        Task.objects.create(
            network=world.network,
            title=f"Aufgabe {i:02d}",
            status=Task.Status.DONE if i % 2 else Task.Status.OPEN,
        )
    client = client_for(world.coordinator)
    url = reverse("networks:tasks", args=[world.network.pk])
    first, second = _pages(client, url, TASK)
    # Page 1 also holds the world's own task: 24 of these, the other 6 on page 2.
    assert len(first) == PAGE_SIZE - 1 and second and not set(first) & set(second)
    assert len(set(first) | set(second)) == MANY  # every task on one of the pages
    # Open tasks first (the default order), so page 1 holds every open one.
    assert {f"{i:02d}" for i in range(0, MANY, 2)} <= set(first)
    # The search is kept in the page links; the status filter narrows the list.
    body = client.get(url, {"q": "Aufgabe", "sort": "-title"}).content.decode()
    assert '?q=Aufgabe&amp;sort=-title&amp;page=2" rel="next"' in body
    done = client.get(url, {"status": "done"}).content.decode()
    assert set(_found(done, TASK)) == {f"{i:02d}" for i in range(1, MANY, 2)}
    assert _found(client.get(url, {"q": "Aufgabe 07"}).content.decode(), TASK) == ["07"]
    ascending = _found(client.get(url, {"sort": "title"}).content.decode(), TASK)
    assert ascending == sorted(ascending)
    # Another network's coordinator sees nothing of it.
    assert client_for(world.outsider).get(url).status_code == 404


def test_marking_a_task_done_returns_to_the_same_page_of_the_list(world, client_for):
    client = client_for(world.coordinator)
    url = reverse("networks:task_done", args=[world.network.pk, world.task.pk])
    response = client.post(url + "?status=open&page=2", {"done": "1"})
    assert response.status_code == 302
    assert response["Location"].endswith("/tasks/?status=open&page=2")


def test_people_and_organisations_page_separately(world, client_for, make_user):
    for i in range(MANY):
        NetworkMember.objects.create(
            network=world.network,
            user=make_user(full_name=f"Person {i:02d}"),
            role=NetworkRole.MEMBER,
        )
        MemberOrganisation.objects.create(network=world.network, name=f"Verein {i:02d}")
    client = client_for(world.coordinator)
    url = reverse("networks:members", args=[world.network.pk])
    first, second = _pages(client, url, PERSON, {"sort": "name"})
    # The world's three members (Fara, Koordination, Mia) sort before "Person …".
    assert len(first) == PAGE_SIZE - 3 and len(second) == MANY - PAGE_SIZE + 3
    assert not set(first) & set(second) and first == sorted(first)
    # The organisations have their own parameters: paging the people leaves them on page 1.
    body = client.get(url, {"page": 2, "org_page": 1}).content.decode()
    assert "Verein 00" in body and "Verein 29" not in body
    body = client.get(url, {"org_page": 2, "org_q": "Verein"}).content.decode()
    organisations = _found(body, ORGANISATION)
    assert organisations and "00" not in organisations
    assert 'name="org_q" value="Verein"' in body
    # The people's page links keep the organisations' search and page.
    assert "org_q=Verein" in body and "org_page=2" in body
    only = client.get(url, {"q": "Person 07"}).content.decode()
    assert _found(only, PERSON) == ["07"] and "Verein 00" in only


def test_meetings_upcoming_past_and_of_a_working_group(world, client_for):
    now = timezone.now()
    for i in range(MANY):
        start = now - timedelta(days=10 + i)
        Meeting.objects.create(
            network=world.network,
            title=f"Sitzung {i:02d}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            working_group=world.group if i < 12 else None,
        )
    client = client_for(world.member)
    url = reverse("networks:meetings", args=[world.network.pk])
    upcoming = client.get(url).content.decode()
    assert "Plenum" in upcoming and "Sitzung" not in upcoming
    first, second = _pages(client, url, MEETING, {"when": "past"})
    assert first[:3] == ["00", "01", "02"]  # the latest past meeting first
    assert len(first) == PAGE_SIZE and not set(first) & set(second)
    assert len(set(first) | set(second)) == MANY
    # The working group's page shows ten and links to all twelve of its meetings.
    group_page = client.get(reverse("networks:group", args=[world.network.pk, world.group.pk]))
    body = group_page.content.decode()
    assert len(_found(body, MEETING)) == 10
    link = f"{url}?group={world.group.pk}&amp;when=all"
    assert link in body
    of_group = client.get(url, {"group": world.group.pk, "when": "all"}).content.decode()
    assert len(_found(of_group, MEETING)) == 12 and "AK Gesundheit" in of_group
    # Another network's working group is not a filter of this network.
    other_group = world.other_network.groups.create(name="Fremd")
    assert client.get(url, {"group": other_group.pk}).status_code == 404
    assert client.get(url, {"group": "x1"}).status_code == 404


def test_documents_are_paged_and_filtered_by_working_group(world, client_for):
    for i in range(MANY):
        document = Document(
            network=world.network,
            title=f"Papier {i:02d}",
            original_name="p.pdf",
            kind="pdf",
            size=len(PDF),
            working_group=world.group if i < 11 else None,
        )
        document.file.save("x", ContentFile(PDF), save=False)
        document.save()
    client = client_for(world.member)
    url = reverse("networks:documents", args=[world.network.pk])
    first, second = _pages(client, url, DOCUMENT)
    assert len(first) == PAGE_SIZE and not set(first) & set(second)
    assert len(set(first) | set(second)) == MANY
    body = client.get(
        reverse("networks:group", args=[world.network.pk, world.group.pk])
    ).content.decode()
    assert f"{url}?group={world.group.pk}" in body
    of_group = client.get(url, {"group": world.group.pk}).content.decode()
    assert len(_found(of_group, DOCUMENT)) == 11


def test_the_network_page_links_to_all_open_tasks(world, client_for):
    for i in range(12):
        Task.objects.create(network=world.network, title=f"Offen {i:02d}")
    body = (
        client_for(world.member)
        .get(reverse("networks:detail", args=[world.network.pk]))
        .content.decode()
    )
    tasks = reverse("networks:tasks", args=[world.network.pk])
    assert f'href="{tasks}?status=open"' in body  # 13 open tasks: ten shown, a link to all
