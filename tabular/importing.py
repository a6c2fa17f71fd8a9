"""Row-by-row validation of spreadsheet imports, shared by the customer and invoice importers.

An importer reads a `tabular.reading.Table` into an `ImportPlan`: the rows that can be applied, and
every problem named by its spreadsheet row (the header is row 1) and column. Nothing is written here;
the importers' `apply` writes through the services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tabular.reading import Row, Table, cell_text, parse_date, parse_decimal

HEADER_ROW = 1
SAMPLE_SIZE = 50
STORED_PROBLEMS = 1000  # per kind in the batch summary; the command prints them all
NEW, UPDATE, UNCHANGED, INVALID = "new", "update", "unchanged", "invalid"


@dataclass(frozen=True)
class CellProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class RecordRow(Row):
    """A row that is not a file's (a record sent to the bulk API): its own keys are its columns, so a key left
    out keeps the record's value while a key sent empty clears it, row by row."""

    columns: frozenset[str] = frozenset()


@dataclass
class PlannedRow:
    number: int
    action: str  # NEW, UPDATE or UNCHANGED (the record already holds these values: nothing to write)
    data: Any  # what the importer's `apply` needs for this row


@dataclass
class ImportPlan:
    columns: tuple[str, ...]
    total: int = 0
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[CellProblem] = field(default_factory=list)
    warnings: list[CellProblem] = field(default_factory=list)
    invalid: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(1 for row in self.rows if row.action == NEW)

    @property
    def updated(self) -> int:
        return sum(1 for row in self.rows if row.action == UPDATE)

    @property
    def unchanged(self) -> int:
        return sum(1 for row in self.rows if row.action == UNCHANGED)

    @property
    def to_write(self) -> list[PlannedRow]:
        """The rows that change something (new or updated); an unchanged row is confirmed but not written."""
        return [row for row in self.rows if row.action != UNCHANGED]

    def record(self, row: Row, cleaner: RowCleaner, action: str, data: Any) -> None:
        """Add one row's outcome: planned when it has no error, otherwise counted as invalid."""
        self.errors += cleaner.errors
        self.warnings += cleaner.warnings
        if cleaner.errors:
            self.invalid += 1
            action = INVALID
        else:
            self.rows.append(PlannedRow(number=row.number, action=action, data=data))
        if len(self.sample) < SAMPLE_SIZE:
            cells = [sample_text(row.values.get(column)) for column in self.columns]
            self.sample.append({"row": row.number, "status": action, "cells": cells})

    def summary(self) -> dict[str, Any]:
        """What the preview page shows, small enough for a JSON column."""
        return {
            "columns": list(self.columns),
            "total": self.total,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "valid": len(self.rows),
            "errors": [problem.as_dict() for problem in self.errors[:STORED_PROBLEMS]],
            "errors_total": len(self.errors),
            "warnings": [problem.as_dict() for problem in self.warnings[:STORED_PROBLEMS]],
            "warnings_total": len(self.warnings),
            "sample": self.sample,
        }


Progress = Callable[[int], None]
PROGRESS_EVERY = 250


def report_progress(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(done)


class Importer(Protocol):
    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]

    def plan(self, *, organization, table: Table) -> ImportPlan: ...

    def apply(self, *, organization, rows: list[PlannedRow], actor, progress: Progress | None = None) -> list[int]:
        """Write the planned rows; returns the ids of the customers touched. `progress(rows written)` is called
        every PROGRESS_EVERY rows."""
        ...


class RowImporter:
    """The planning loop every importer shares: check the header, clean each row, refuse duplicate keys in the
    file, and mark each row new or update. Subclasses say which column is the key and how to clean a row."""

    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: str  # the column that identifies a record (updates instead of duplicates)
    duplicate_message: str  # with %(row)s: the earlier row that has the same key

    def plan(self, *, organization, table: Table) -> ImportPlan:
        plan = plan_start(table, columns=self.columns, required=self.required)
        if plan_is_blocked(plan):
            return plan_block_all(plan, table)
        lookups = self._lookups(organization, table)
        duplicates = DuplicateGuard(self.key, self.duplicate_message)
        for row in table.rows:
            cleaner = RowCleaner(row, row.columns if isinstance(row, RecordRow) else table.headers)
            data = self._clean(cleaner, lookups)
            duplicates.check(cleaner, getattr(data, self.key))
            if not self.existing(data):
                action = NEW
            else:
                action = UPDATE if cleaner.errors or self.changes_something(data) else UNCHANGED
            plan.record(row, cleaner, action, data)
        return plan

    def changes_something(self, data: Any) -> bool:
        """Whether writing this row would change its existing record (a daily sync mostly repeats itself)."""
        return True

    def _lookups(self, organization, table: Table) -> Any:
        raise NotImplementedError

    def _clean(self, cleaner: RowCleaner, lookups: Any) -> Any:
        raise NotImplementedError

    def existing(self, data: Any) -> Any:
        """The record this row updates, or None for a new one."""
        raise NotImplementedError


class RowApplyError(Exception):
    """A service refused a row that passed validation; the whole import is rolled back."""

    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row = row
        self.message = message

    def __str__(self) -> str:
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


def plan_start(table: Table, *, columns: tuple[str, ...], required: tuple[str, ...]) -> ImportPlan:
    """A plan with the header's problems. A missing required column makes every row invalid."""
    plan = ImportPlan(columns=columns, total=len(table.rows))
    for column in required:
        if column not in table.headers:
            plan.errors.append(CellProblem(HEADER_ROW, column, _("This column is missing.")))
    for column in table.duplicate_headers:
        plan.errors.append(CellProblem(HEADER_ROW, column, _("This column appears more than once.")))
    for column in table.headers:
        if column not in columns:
            plan.warnings.append(CellProblem(HEADER_ROW, column, _("Unknown column; it is ignored.")))
    if not table.rows:
        plan.errors.append(CellProblem(HEADER_ROW, columns[0], _("The file has no rows below the header.")))
    return plan


def plan_is_blocked(plan: ImportPlan) -> bool:
    """Header problems: no row can be judged, so every row counts as invalid."""
    return any(problem.row == HEADER_ROW for problem in plan.errors)


def sample_text(value: Any) -> str:
    """A cell as the preview shows it: a NUL (refused, and not storable in PostgreSQL's JSON) as the ␀ symbol."""
    return cell_text(value).replace("\x00", "\u2400")


def plan_block_all(plan: ImportPlan, table: Table) -> ImportPlan:
    plan.invalid = len(table.rows)
    for row in table.rows[:SAMPLE_SIZE]:
        cells = [sample_text(row.values.get(column)) for column in plan.columns]
        plan.sample.append({"row": row.number, "status": INVALID, "cells": cells})
    return plan


class RowCleaner:
    """Reads one row's cells into typed values and collects its problems, each naming the column.

    A column left out of the file reads as None ("keep what is there"); an empty cell reads as "".
    """

    def __init__(self, row: Row, headers: Iterable[str]):
        self.row = row
        self.present = set(headers)
        self.errors: list[CellProblem] = []
        self.warnings: list[CellProblem] = []
        for column, value in row.values.items():
            # PostgreSQL refuses NUL in text and SQLite would store it: the row is refused, saying where.
            if isinstance(value, str) and "\x00" in value:
                self.error(column, _("This cell holds a NUL character (\\0); remove it and upload the file again."))

    def has(self, column: str) -> bool:
        return column in self.present

    def error(self, column: str, message: str) -> None:
        self.errors.append(CellProblem(self.row.number, column, message))

    def warn(self, column: str, message: str) -> None:
        self.warnings.append(CellProblem(self.row.number, column, message))

    def is_empty(self, column: str) -> bool:
        return cell_text(self.row.values.get(column)) == ""

    def text(self, column: str, *, max_length: int, required: bool = False) -> str | None:
        if not self.has(column):
            return None
        value = cell_text(self.row.values.get(column))
        if required and not value:
            self.error(column, _("This value is required."))
            return None
        if len(value) > max_length:
            message = ngettext("Use at most %(max)d character.", "Use at most %(max)d characters.", max_length)
            self.error(column, message % {"max": max_length})
            return None
        return value

    def decimal(self, column: str, *, required: bool = False, places: int = 2, max_digits: int = 14) -> Decimal | None:
        if not self.has(column) or self.is_empty(column):
            if required:
                self.error(column, _("This value is required."))
            return None
        raw = self.row.values[column]
        try:
            # A computed Excel cell may hold 121.00000000000001; nine decimals remove that noise.
            number = parse_decimal(round(raw, 9) if isinstance(raw, float) else raw)
        except ValueError:
            self.error(column, _("Enter an amount such as 1234,56 or 1234.56."))
            return None
        return self._checked_amount(column, number, places=places, max_digits=max_digits)

    def _checked_amount(self, column: str, number: Decimal, *, places: int, max_digits: int) -> Decimal | None:
        quantum = Decimal(1).scaleb(-places)
        if number < 0:
            self.error(column, _("The amount cannot be negative."))
        elif number != number.quantize(quantum):
            message = ngettext("Use at most %(places)d decimal.", "Use at most %(places)d decimals.", places)
            self.error(column, message % {"places": places})
        elif len(number.quantize(quantum).as_tuple().digits) > max_digits:
            self.error(column, _("This amount is too large."))
        else:
            return number.quantize(quantum)
        return None

    def date(self, column: str, *, required: bool = False) -> date | None:
        if not self.has(column) or self.is_empty(column):
            if required:
                self.error(column, _("This value is required."))
            return None
        try:
            return parse_date(self.row.values[column])
        except (ValueError, OverflowError):
            self.error(column, _("Enter a date such as 23/11/2026 or 2026-11-23 (day first)."))
            return None


class DuplicateGuard:
    """Within one file a key may appear once; the later row is the one in error."""

    def __init__(self, column: str, message: str):
        self.column = column
        self.message = message
        self.first_row: dict[str, int] = {}

    def check(self, cleaner: RowCleaner, key: str | None) -> None:
        if not key:
            return
        first = self.first_row.setdefault(key, cleaner.row.number)
        if first != cleaner.row.number:
            cleaner.error(self.column, self.message % {"row": first})


def chunked(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
