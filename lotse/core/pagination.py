"""Pagination whose count stops at a cap: broad searches over tens of thousands of rows stay
fast, and "more than 1,000 results" tells a person as much as "27,930 results"."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    count_cap = 1000

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        # COUNT(*) FROM (… LIMIT cap + 1): the database stops after cap + 1 rows and counts
        # them where they are (not looking each id up again through an IN list).
        return self.object_list.order_by().values("pk")[: self.count_cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.count_cap

    @property
    def shown_count(self) -> int:
        return min(self.count, self.count_cap)
