"""A paginator for lists that can hold hundreds of thousands of rows: it counts up to a cap.

Counting 900,000 matching rows costs as much as reading them from an index (~150 ms on PostgreSQL), only to
print a number nobody pages through. Past the cap the total reads "10,000+" and the page count "more than
200"; the rows on every page stay exact. A page at the edge of what was counted (or beyond) counts
exactly, so "Next" and the last page stay right for the rare user who pages that far.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import EmptyPage, Paginator

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap or COUNT_CAP
        self.capped = False  # the count stopped at the cap: there are more than `cap` rows

    @cached_property
    def count(self) -> int:
        # Without ORDER BY the database may count from any index, and it stops after cap + 1 rows.
        counted = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return counted

    @property
    def capped_pages(self) -> int:
        """The number of pages the cap covers ("more than 200")."""
        return self.cap // self.per_page

    def validate_number(self, number):
        try:
            number = super().validate_number(number)
        except EmptyPage:
            if not self.capped:
                raise
            self._count_exactly()
            return super().validate_number(number)
        if self.capped and number >= self.num_pages:
            self._count_exactly()  # at the edge of the counted range: has_next needs the truth
        return number

    def _count_exactly(self) -> None:
        self.__dict__["count"] = self.object_list.count()
        self.__dict__.pop("num_pages", None)
        self.capped = False
