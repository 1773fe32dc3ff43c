"""The shared list helper (core.lists): search words, sort keys, stable pages."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from lotse.accounts.models import Organisation
from lotse.core.lists import Sort, list_page

pytestmark = pytest.mark.django_db

SORTS = {"name": Sort("Name", ("name",)), "kind": Sort("Kind", ("kind", "name"))}


@pytest.fixture
def organisations(make_org):
    for n in range(30):
        make_org(Organisation.Kind.FACILITY, name=f"Kita {n:02d} {'Nord' if n % 3 else 'Süd'}")
    return Organisation.objects.all()


def _page(query: str, organisations):
    request = RequestFactory().get("/x/" + query)
    return list_page(request, organisations, search=("name",), sorts=SORTS, default="name")


def test_every_word_must_match(organisations):
    listing = _page("?q=süd+kita+0", organisations)
    names = [o.name for o in listing.rows]
    assert names == ["Kita 00 Süd", "Kita 03 Süd", "Kita 06 Süd", "Kita 09 Süd"]
    assert listing.count == 4 and listing.query == "süd kita 0"


def test_sort_header_links_toggle_and_keep_the_search(organisations):
    listing = _page("?q=kita&sort=name&page=2", organisations)
    assert listing.headers["name"].aria_sort == "ascending"
    assert "sort=-name" in listing.headers["name"].url and "q=kita" in listing.headers["name"].url
    assert "page=" not in listing.headers["name"].url  # a new order starts on page 1
    assert listing.headers["kind"].aria_sort == "none"
    assert [o.name for o in listing.rows][0] == "Kita 25 Nord"


def test_pages_never_repeat_a_row(organisations):
    seen = []
    for page in (1, 2):
        seen += [o.pk for o in _page(f"?sort=kind&page={page}", organisations).rows]
    assert len(seen) == len(set(seen)) == 30
