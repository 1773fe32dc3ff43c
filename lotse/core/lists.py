"""THE way a staff page lists many rows: a search box, sortable columns, pages (issue 17).

A view hands its (already scoped) queryset to :func:`list_page` with the fields a search looks
in and the columns that sort::

    listing = list_page(
        request,
        selectors.registrations_for_event(event),
        search=("full_name", "email", "workplace"),
        sorts={"name": Sort(_("Name"), ("full_name",)), "no": Sort(_("No."), ("queue_number",))},
        default="no",
    )

and the template shows ``core/_list_search.html`` above the table, ``core/_sort_th.html`` for
each sortable header and ``core/_list_pages.html`` below it. The state lives in the query
string (``?q=…&sort=-name&page=2``), so a list can be bookmarked and the back button works;
every link keeps the other parameters (filters of the page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict

PER_PAGE = 25
MAX_QUERY = 100


@dataclass(frozen=True)
class Sort:
    label: Any  # the column header (a lazy translation)
    fields: tuple[str, ...]  # order_by for ascending; "-" is added for descending


@dataclass(frozen=True)
class Header:
    label: Any
    url: str  # query string that sorts by this column (the other direction if sorted already)
    aria_sort: str  # "ascending", "descending" or "none"


@dataclass
class ListPage:
    page: Page
    query: str
    sort: str  # key of the column sorted by
    descending: bool
    headers: dict[str, Header]
    params: QueryDict  # the request's query string

    @property
    def rows(self) -> Sequence[Any]:
        return self.page.object_list

    @property
    def count(self) -> int:
        return self.page.paginator.count

    def url(self, **changes: object) -> str:
        """The query string with some parameters replaced (e.g. ``page``)."""
        params = self.params.copy()
        for key, value in changes.items():
            if value in (None, ""):
                params.pop(key, None)
            else:
                params[key] = str(value)
        return "?" + params.urlencode()

    @property
    def clear_url(self) -> str:
        return self.url(q=None, page=None)

    def previous_url(self) -> str:
        return self.url(page=self.page.previous_page_number())

    def next_url(self) -> str:
        return self.url(page=self.page.next_page_number())


def search_filter(query: str, fields: Sequence[str]) -> Q:
    """Every word of ``query`` must occur (case-insensitive) in at least one of ``fields``."""
    condition = Q()
    for word in query.split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def list_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    search: Sequence[str] = (),
    sorts: Mapping[str, Sort],
    default: str,
    per_page: int = PER_PAGE,
) -> ListPage:
    """Search, sort and page ``queryset`` by the request's ``q``, ``sort`` and ``page``.

    An unknown sort key falls back to ``default`` (``-key`` sorts descending); a page number
    out of range shows the last page. The primary key breaks ties, so pages never repeat or
    skip a row."""
    params = request.GET
    query = " ".join(params.get("q", "").split())[:MAX_QUERY]
    if query and search:
        queryset = queryset.filter(search_filter(query, search))
    wanted = params.get("sort", "")
    descending = wanted.startswith("-")
    key = wanted.removeprefix("-")
    if key not in sorts:
        descending = default.startswith("-")
        key = default.removeprefix("-")
    sign = "-" if descending else ""
    order = [sign + name for name in sorts[key].fields] + [sign + "pk"]
    page = Paginator(queryset.order_by(*order), per_page).get_page(params.get("page"))
    listing = ListPage(
        page=page, query=query, sort=key, descending=descending, headers={}, params=params
    )
    for name, column in sorts.items():
        current = name == key
        target = f"-{name}" if current and not descending else name
        listing.headers[name] = Header(
            label=column.label,
            url=listing.url(sort=target, page=None),
            aria_sort=("descending" if descending else "ascending") if current else "none",
        )
    return listing
