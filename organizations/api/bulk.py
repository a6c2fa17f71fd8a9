"""POST /api/v1/<resource>/bulk/: upsert up to 1,000 records in one request, through the import machinery.

Each record is a row of the resource's import (the same columns, checks, services and activity entries), so a
record is matched by its key (a customer's `external_ref`, an invoice's `number`) and updated, left unchanged,
or created. A key left out of a record keeps the stored value; a key sent as "" or null clears it.

Modes: `all_or_nothing` (the default) writes nothing when any row is invalid and answers 400 with the errors
per row; `per_row` writes the valid rows and answers each row's outcome.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from tabular.importing import NEW, UNCHANGED, UPDATE, CellProblem, ImportPlan, RecordRow, RowApplyError, RowImporter
from tabular.reading import Table

MAX_ROWS = 1000
ALL_OR_NOTHING, PER_ROW = "all_or_nothing", "per_row"
MODES = [
    (ALL_OR_NOTHING, gettext_lazy("All or nothing: any invalid row writes nothing")),
    (PER_ROW, gettext_lazy("Per row: the valid rows are written")),
]
CREATED, UPDATED, ERROR = "created", "updated", "error"
STATUS_BY_ACTION = {NEW: CREATED, UPDATE: UPDATED, UNCHANGED: "unchanged"}


class BulkConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "bulk_conflict"
    default_detail = gettext_lazy(
        "The data changed while writing (another request wrote the same key); nothing was written. Send the rows again."
    )


def record_field(help_text: str = "", *, required: bool = False) -> serializers.CharField:
    """A column of a bulk record: text or a number, checked by the import's row checks, so that a missing or
    wrong value is an error of its row (not of the whole request)."""
    if required:
        help_text = f"Required. {help_text}".strip()
    return serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text=help_text)


class BulkRecordSerializer(serializers.Serializer):
    """A record's fields are the import's columns; unknown keys are refused."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


def bulk_request_serializer(
    name: str, importer: RowImporter, help_texts: dict[str, str]
) -> type[serializers.Serializer]:
    """The request body, `{"mode": ..., "rows": [record, ...]}` with at most MAX_ROWS records. A record has the
    importer's columns (a column added to the import is accepted here too), named `<name>Record` in the schema."""
    columns = {
        column: record_field(help_texts.get(column, ""), required=column in importer.required)
        for column in importer.columns
    }
    record = type(f"{name}Record", (BulkRecordSerializer,), columns)
    fields = {
        "mode": serializers.ChoiceField(choices=MODES, default=ALL_OR_NOTHING),
        "rows": serializers.ListField(
            child=record(), min_length=1, max_length=MAX_ROWS, help_text=f"1 to {MAX_ROWS} records."
        ),
    }
    return type(f"{name}Bulk", (serializers.Serializer,), fields)


class BulkProblemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The field in error; null for the row as a whole.")
    message = serializers.CharField()


class BulkRowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The record's position in `rows`, the first being 1.")
    key = serializers.CharField(help_text="The record's external reference or number.")
    status = serializers.ChoiceField(choices=[CREATED, UPDATED, "unchanged", ERROR])
    id = serializers.IntegerField(allow_null=True)
    errors = BulkProblemSerializer(many=True)
    warnings = BulkProblemSerializer(many=True)


class BulkResultSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=MODES)
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.IntegerField(help_text="Rows not written (per_row mode).")
    results = BulkRowResultSerializer(many=True)


class BulkRefusalDetailSerializer(serializers.Serializer):
    """The API's error shape; a refused `all_or_nothing` run adds its invalid rows."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="Per field, the messages (code `invalid`).")
    rows = BulkRowResultSerializer(many=True, required=False, help_text="The invalid rows, with their errors.")


class BulkRefusalSerializer(serializers.Serializer):
    error = BulkRefusalDetailSerializer()


@dataclass
class BulkOutcome:
    plan: ImportPlan
    table: Table
    refused: dict[int, str] = field(default_factory=dict)  # row -> why a service refused it (rolled back)
    written: bool = False


def bulk_upsert(*, importer: RowImporter, organization, records: list[dict], mode: str, actor) -> BulkOutcome:
    """Check every record as an import row, then write them in one transaction (per_row: the valid ones).

    A service may still refuse a row that passed the checks: all_or_nothing then writes nothing; per_row
    leaves that row out and writes the others again from a fresh check."""
    rows = [
        RecordRow(number=number, values=values, columns=frozenset(values) | frozenset(importer.required))
        for number, values in enumerate(records, start=1)
    ]
    refused: dict[int, str] = {}
    while True:
        table = Table(headers=list(importer.columns), rows=[row for row in rows if row.number not in refused])
        if not table.rows:  # every row refused: nothing left to check or write
            return BulkOutcome(plan=ImportPlan(columns=importer.columns), table=table, refused=refused, written=True)
        plan = importer.plan(organization=organization, table=table)
        outcome = BulkOutcome(plan=plan, table=table, refused=refused)
        if plan.invalid and mode == ALL_OR_NOTHING:
            return outcome
        try:
            with transaction.atomic():
                importer.apply(organization=organization, rows=plan.to_write, actor=actor)
        except RowApplyError as error:
            refused[error.row] = error.message
            if mode == ALL_OR_NOTHING:
                return outcome
            continue
        except IntegrityError as error:
            raise BulkConflict from error
        outcome.written = True
        return outcome


def bulk_request_response(*, request, serializer_class, importer: RowImporter, model, organization, actor) -> Response:
    """`POST …/bulk/` of a scoped viewset: read the request, upsert its rows as the import does, and answer 200
    with every row's outcome or 400 (all_or_nothing) with the invalid rows. `model` holds the importer's key."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    records, mode = serializer.validated_data["rows"], serializer.validated_data["mode"]
    outcome = bulk_upsert(importer=importer, organization=organization, records=records, mode=mode, actor=actor)

    def find_ids(keys: list[str]) -> dict[str, int]:
        found = model.objects.filter(organization=organization, **{f"{importer.key}__in": keys})
        return dict(found.values_list(importer.key, "pk"))

    results = _results(importer, outcome, records, find_ids)
    failed = [result for result in results if result["status"] == ERROR]
    if not outcome.written:
        message = ngettext(
            "%(count)d row is invalid; nothing was written.",
            "%(count)d rows are invalid; nothing was written.",
            len(failed),
        ) % {"count": len(failed)}
        error = {"code": "invalid_rows", "message": message, "rows": failed}
        return Response({"error": error}, status=status.HTTP_400_BAD_REQUEST)
    counts = {name: sum(1 for result in results if result["status"] == name) for name in (CREATED, UPDATED)}
    return Response(
        {
            "mode": mode,
            **counts,
            "unchanged": outcome.plan.unchanged,
            "errors": len(failed),
            "results": results,
        }
    )


def _results(importer: RowImporter, outcome: BulkOutcome, records: list[dict], find_ids) -> list[dict]:
    errors, warnings = _by_row(outcome.plan.errors), _by_row(outcome.plan.warnings)
    for number, message in outcome.refused.items():
        errors[number].append({"field": None, "message": message})
    planned = {row.number: row for row in outcome.plan.rows}
    created_keys = [_key(importer, row) for row in planned.values() if importer.existing(row.data) is None]
    ids = find_ids(created_keys) if outcome.written and created_keys else {}
    results = []
    for number, values in enumerate(records, start=1):
        row = planned.get(number) if number not in errors else None
        result = {
            "row": number,
            "key": str(values.get(importer.key) or ""),
            "status": ERROR,
            "id": None,
            "errors": errors.get(number, []),
            "warnings": warnings.get(number, []),
        }
        if row is not None:
            existing = importer.existing(row.data)
            result["status"] = STATUS_BY_ACTION[row.action]
            result["id"] = existing.pk if existing is not None else ids.get(_key(importer, row))
        results.append(result)
    return results


def _key(importer: RowImporter, row) -> str:
    return getattr(row.data, importer.key)


def _by_row(problems: Iterable[CellProblem]) -> defaultdict[int, list[dict]]:
    by_row: defaultdict[int, list[dict]] = defaultdict(list)
    for problem in problems:
        by_row[problem.row].append({"field": problem.column, "message": problem.message})
    return by_row
