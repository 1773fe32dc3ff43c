"""Staff lists: search, sort and paginate a queryset from the query string, one way everywhere.

A view hands the (already scoped) queryset, its columns and the fields to search to
:func:`listing`; the template shows ``listing.page`` with the shared pieces
``core/_listing_search.html``, ``core/_listing_header.html`` and ``core/_pagination.html``.

* ``?q=`` — every word must match one of the search fields (case-insensitive substring); a
  word of digits (``123``, ``#123``, ``Nr. 123``) also matches the number (primary key), so
  staff find an application or registration by the number the family quotes.
* ``?sort=<key>`` / ``?sort=-<key>`` — one of the sortable columns; the primary key always
  breaks ties, so a page never repeats or skips a row when many rows sort alike.
* ``?page=<n>`` — a real page of the result (out-of-range numbers show the last page).

Two lists on one page take a ``prefix`` (``org_q``, ``org_sort``, ``org_page``), so paging one
keeps the other where it was. A card list without table headers shows the sortable columns
with ``core/_listing_sort.html``.

Searching across a many-valued relation (wishes, registrations …) filters by a sub-query of
primary keys, so a row matching twice is listed once and counted once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise

PAGE_SIZE = 25
MAX_QUERY = 200
_NUMBER = re.compile(r"^(?:#|nr\.?|no\.?)?(\d{1,18})$", re.IGNORECASE)


@dataclass(frozen=True)
class Column:
    """A column of a staff list. ``order_by`` empty: not sortable. A field written
    ``-field`` runs against the column's direction (status ascending, newest first within)."""

    key: str
    label: str | Promise
    order_by: tuple[str, ...] = ()

    @property
    def sortable(self) -> bool:
        return bool(self.order_by)


@dataclass(frozen=True)
class Header:
    """A column as the template draws it: the label, the sort parameter its link sets, and
    ``aria_sort`` (``ascending``/``descending``) on the column the list is sorted by."""

    column: Column
    sort_value: str | None
    aria_sort: str | None

    @property
    def label(self) -> str | Promise:
        return self.column.label


@dataclass(frozen=True)
class Listing:
    page: Page
    query: str
    sort: str
    descending: bool
    headers: list[Header]
    prefix: str = ""

    @property
    def q_param(self) -> str:
        return f"{self.prefix}q"

    @property
    def sort_param(self) -> str:
        return f"{self.prefix}sort"

    @property
    def page_param(self) -> str:
        return f"{self.prefix}page"

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def sortable_headers(self) -> list[Header]:
        return [h for h in self.headers if h.sort_value]

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)


def search_filter(
    queryset: QuerySet, text: str, fields: Sequence[str], *, number: str | None = "pk"
) -> QuerySet:
    """Rows where every word of ``text`` matches one of ``fields`` (or ``number`` exactly)."""
    words = text.split()[:10]
    if not words:
        return queryset
    condition = Q()
    for word in words:
        either = Q()
        for field in fields:
            either |= Q(**{f"{field}__icontains": word})
        match = _NUMBER.match(word)
        if number and match:
            either |= Q(**{number: int(match.group(1))})
        condition &= either
    if any("__" in f for f in fields):
        # A join over a many-valued relation would repeat rows: filter by their keys instead.
        keys = queryset.model._default_manager.filter(condition).values("pk")
        return queryset.filter(pk__in=keys)
    return queryset.filter(condition)


def listing(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    columns: Sequence[Column],
    search: Sequence[str] = (),
    number: str | None = "pk",
    default_sort: str,
    page_size: int = PAGE_SIZE,
    prefix: str = "",
) -> Listing:
    """Search, sort and paginate ``queryset`` as the request asks.

    ``default_sort`` is a column key, with ``-`` for descending. Unknown sort keys fall back
    to it; the search text is cut to a sane length. Two queries: the count and the page.
    ``prefix`` names this list's parameters when a page shows two lists.
    """
    query = request.GET.get(f"{prefix}q", "").strip()[:MAX_QUERY]
    if query and (search or number):
        queryset = search_filter(queryset, query, search, number=number)
    by_key = {c.key: c for c in columns if c.sortable}
    wanted = request.GET.get(f"{prefix}sort", "") or default_sort
    descending = wanted.startswith("-")
    key = wanted.lstrip("-")
    if key not in by_key:
        descending, key = default_sort.startswith("-"), default_sort.lstrip("-")
    order = []
    for field in by_key[key].order_by:
        down = descending != field.startswith("-")
        expression = F(field.lstrip("-"))
        order.append(expression.desc(nulls_last=True) if down else expression.asc(nulls_last=True))
    order.append(F("pk").desc() if descending else F("pk").asc())
    page = Paginator(queryset.order_by(*order), page_size).get_page(
        request.GET.get(f"{prefix}page")
    )
    headers = []
    for column in columns:
        if not column.sortable:
            headers.append(Header(column, None, None))
        elif column.key == key:
            state = "descending" if descending else "ascending"
            headers.append(Header(column, column.key if descending else f"-{column.key}", state))
        else:
            headers.append(Header(column, column.key, None))
    return Listing(page, query, key, descending, headers, prefix)
