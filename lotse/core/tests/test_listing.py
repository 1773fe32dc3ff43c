"""The shared staff-list helper: search, sort, real pages, safe fallbacks."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from lotse.core.listing import Column, listing, search_filter
from lotse.directory.models import District

pytestmark = pytest.mark.django_db

COLUMNS = [
    Column("name", "Name", ("name",)),
    Column("municipality", "Municipality", ("municipality", "name")),
    Column("note", "Note"),
]


@pytest.fixture
def districts():
    rows = [
        District(municipality="Flensburg" if i % 2 else "Kiel", name=f"D{i:02d}") for i in range(60)
    ]
    return District.objects.bulk_create(rows)


def _get(**params):
    return RequestFactory().get("/", params)


def test_pages_are_disjoint_and_complete(districts):
    qs = District.objects.all()
    seen = []
    for page in (1, 2, 3):
        result = listing(_get(page=page), qs, columns=COLUMNS, default_sort="name")
        seen += [d.pk for d in result.page]
    assert sorted(seen) == sorted(d.pk for d in districts)
    assert len(set(seen)) == 60
    # Beyond the last page: the last page, not an error.
    last = listing(_get(page=99), qs, columns=COLUMNS, default_sort="name")
    assert last.page.number == 3


def test_rows_sorting_alike_are_not_repeated_across_pages(districts):
    # Sorting by municipality: 30 rows each share one value; the key breaks the tie.
    qs = District.objects.all()
    only_municipality = [Column("m", "M", ("municipality",))]
    seen = []
    for page in (1, 2, 3):
        seen += [
            d.pk
            for d in listing(
                _get(sort="m", page=page), qs, columns=only_municipality, default_sort="m"
            ).page
        ]
    assert len(set(seen)) == 60


def test_sort_descending_headers_and_unknown_sort(districts):
    qs = District.objects.all()
    result = listing(_get(sort="-name"), qs, columns=COLUMNS, default_sort="name")
    assert result.rows[0].name == "D59"
    name, municipality, note = result.headers
    assert (name.aria_sort, name.sort_value) == ("descending", "name")
    assert (municipality.aria_sort, municipality.sort_value) == (None, "municipality")
    assert note.sort_value is None
    # An unknown or unsortable column falls back to the default, never an error.
    for wanted in ("note", "password", "-__class__"):
        fallback = listing(_get(sort=wanted), qs, columns=COLUMNS, default_sort="name")
        assert fallback.rows[0].name == "D00"


def test_search_words_and_numbers(districts):
    qs = District.objects.all()
    found = search_filter(qs, "D1 kiel", ["name", "municipality"])
    assert {d.name for d in found} == {f"D{i}" for i in range(10, 20) if i % 2 == 0}
    target = districts[7]
    for text in (str(target.pk), f"#{target.pk}", f"Nr. {target.pk}".replace(" ", "")):
        assert list(search_filter(qs, text, ["municipality"])) == [target]
    assert list(search_filter(qs, str(target.pk), ["municipality"], number=None)) == []
    result = listing(_get(q="  D05 "), qs, columns=COLUMNS, search=["name"], default_sort="name")
    assert (result.query, result.count) == ("D05", 1)


def test_templates_keep_filters_in_links(rf, districts):
    request = rf.get("/", {"q": "D", "status": "x", "page": 2})
    result = listing(request, District.objects.all(), columns=COLUMNS, default_sort="name")
    context = {"listing": result, "request": request, "page": result.page}
    header = render_to_string("core/_listing_header.html", context)
    assert 'aria-sort="ascending"' in header
    assert "q=D&amp;status=x&amp;sort=-name" in header and "page=" not in header
    search = render_to_string("core/_listing_search.html", context)
    assert 'name="status" value="x"' in search and 'name="page"' not in search
    pages = render_to_string("core/_pagination.html", context)
    assert "page=1" in pages and "page=3" in pages and "status=x" in pages


def test_two_lists_on_one_page_keep_their_own_parameters(rf, districts):
    request = rf.get("/", {"q": "D1", "page": 2, "org_q": "Kiel", "org_sort": "-name"})
    qs = District.objects.all()
    people = listing(request, qs, columns=COLUMNS, search=["name"], default_sort="name")
    orgs = listing(
        request, qs, columns=COLUMNS, search=["municipality"], default_sort="name", prefix="org_"
    )
    assert people.query == "D1" and people.count == 10 and people.page.number == 1
    assert orgs.query == "Kiel" and orgs.count == 30 and orgs.page.number == 1
    assert orgs.rows[0].name == "D58" and orgs.descending
    context = {"listing": orgs, "request": request}
    header = render_to_string("core/_listing_header.html", context)
    # The organisations' sort link changes org_sort and resets org_page, nothing of the people.
    assert "q=D1&amp;page=2&amp;org_q=Kiel&amp;org_sort=name" in header
    search = render_to_string("core/_listing_search.html", context)
    assert 'name="org_q" value="Kiel"' in search and 'name="q" value="D1"' in search
    pages = render_to_string(
        "core/_pagination.html", {**context, "page": orgs.page, "page_param": orgs.page_param}
    )
    assert "org_page=2" in pages and "page=2&amp;" in pages  # the people's page stays


def test_a_field_can_run_against_the_columns_direction(districts):
    # Municipality descending, but names ascending within each municipality.
    columns = [Column("m", "M", ("municipality", "-name"))]
    rows = listing(_get(), District.objects.all(), columns=columns, default_sort="m").rows
    assert [d.municipality for d in rows[:2]] == ["Flensburg", "Flensburg"]
    assert rows[0].name == "D59" and rows[1].name == "D57"
    down = listing(_get(sort="-m"), District.objects.all(), columns=columns, default_sort="m").rows
    assert down[0].municipality == "Kiel" and down[0].name == "D00"


def test_card_lists_sort_with_links(rf, districts):
    request = rf.get("/", {"q": "D", "page": 2, "sort": "-name"})
    result = listing(request, District.objects.all(), columns=COLUMNS, default_sort="name")
    html = render_to_string("core/_listing_sort.html", {"listing": result, "request": request})
    assert html.count("<a ") == 2  # name and municipality; the note is not sortable
    assert 'href="?q=D&amp;sort=name" aria-current="true"' in html
    assert "?q=D&amp;sort=municipality" in html
