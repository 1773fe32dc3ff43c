"""The editors' list of posts (issue 17): one searchable, sortable, paged list with drafts,
scheduled and published posts as filters, instead of three tables with every post ever
written; only the editor's organisations' posts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lotse.core.listing import PAGE_SIZE

pytestmark = pytest.mark.django_db

TITLE = re.compile(r'data-post="\d+"><td><a href="[^"]+">([^<]+)</a>')


def _titles(client, **params) -> list[str]:
    return TITLE.findall(client.get(reverse("news:manage"), params).content.decode())


@pytest.fixture
def posts(make_post, other_editor, other_org):
    for i in range(20):
        make_post(title=f"Entwurf {i:02d}", publish=False)
    for i in range(12):
        make_post(title=f"Meldung {i:02d}")
    soon = timezone.now() + timedelta(days=3)
    for i in range(2):
        make_post(title=f"Geplant {i:02d}", publish_at=soon)
    make_post(title="Fremde Meldung", organisation=other_org, actor=other_editor)
    return 34


def test_pages_are_real_pages_of_the_editors_posts(posts, client_for, editor):
    client = client_for(editor)
    first, second = _titles(client, page=1), _titles(client, page=2)
    assert len(first) == PAGE_SIZE and len(second) == posts - PAGE_SIZE
    assert not set(first) & set(second)
    assert "Fremde Meldung" not in first + second


def test_states_filter_with_counts_and_search(posts, client_for, editor):
    client = client_for(editor)
    assert sorted(_titles(client, state="draft")) == [f"Entwurf {i:02d}" for i in range(20)]
    assert sorted(_titles(client, state="scheduled")) == ["Geplant 00", "Geplant 01"]
    assert len(_titles(client, state="published")) == 12
    body = client.get(
        reverse("news:manage"), {"state": "published"}, headers={"accept-language": "de"}
    ).content.decode()
    assert "Entwurf (20)" in body and "Geplant (2)" in body and "Veröffentlicht (12)" in body
    assert _titles(client, q="Meldung 07") == ["Meldung 07"]
    # The search and the filter stay in the sort links.
    assert (
        "state=published&amp;q=x&amp;sort=title"
        in client.get(reverse("news:manage"), {"state": "published", "q": "x"}).content.decode()
    )
    by_title = _titles(client, sort="title")
    assert by_title == sorted(by_title)
