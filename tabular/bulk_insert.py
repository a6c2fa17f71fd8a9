"""Insert many new rows fast: COPY on PostgreSQL, bulk_create elsewhere.

`bulk_create` spends most of its time in Python: building a model instance per row, then quoting one
parameter per column per row (~1 ms per wide row). Here rows are plain dicts and COPY streams them through
psycopg's C adapters; the ids are taken from the table's sequence first (one query) and returned in order.
Fields left out take their default, `auto_now_add`/`auto_now` fields the current time. No signals, no
conflict handling: callers that may race on a unique key catch IntegrityError (see messaging.kinds.queue_messages).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone
from psycopg import sql

BATCH = 1000


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """New rows given as {attname: value} (no model instances: their construction is the cost at 100,000 rows);
    fields left out take their default. Returns the new ids in order."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return [instance.pk for instance in created]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    fillers = [_filler(field, now) for field in fields]
    table, pk = model._meta.db_table, model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [table, pk.column, len(rows)])  # fmt: skip
        ids = [value for (value,) in cursor.fetchall()]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(f.column) for f in [pk, *fields])
        )
        with cursor.cursor.copy(statement) as copy:
            for row_id, row in zip(ids, rows, strict=True):
                copy.write_row([row_id, *[fill(row) for fill in fillers]])
    return ids


def insert_rows_skipping_conflicts(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, returning: Sequence[str]
) -> list[tuple]:
    """New rows as {attname: value}; a row that meets a unique constraint (another writer got there first) is
    skipped, as ON CONFLICT DO NOTHING. Returns (id, *returning) of the rows inserted, in no particular order.

    PostgreSQL: COPY into a temporary table of the same columns, then one INSERT ... SELECT ... ON CONFLICT DO
    NOTHING RETURNING, in a transaction (a savepoint inside the caller's): no model instances and no per-value
    quoting, the costs of bulk_create at 100,000 rows. Elsewhere (SQLite) Django's insert with the same conflict
    rule and RETURNING.
    """
    if not rows:
        return []
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    returned = [meta.pk, *(meta.get_field(name) for name in returning)]
    if connection.vendor != "postgresql":
        instances = [model(**row) for row in rows]
        inserted = model._default_manager._insert(
            instances, fields=fields, returning_fields=returned, on_conflict=OnConflict.IGNORE
        )
        return [tuple(row) for row in inserted if row]
    now = timezone.now()
    fillers = [_filler(field, now) for field in fields]
    table = sql.Identifier(meta.db_table)
    staging = sql.Identifier(f"staging_{meta.db_table}")
    columns = sql.SQL(", ").join(sql.Identifier(field.column) for field in fields)
    with transaction.atomic(), connection.cursor() as cursor:
        # Same columns, no constraints; kept for the connection's life and emptied after each use.
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE IF NOT EXISTS {} AS SELECT {} FROM {} WITH NO DATA").format(
                staging, columns, table
            )
        )
        with cursor.cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(staging, columns)) as copy:
            for row in rows:
                copy.write_row([fill(row) for fill in fillers])
        cursor.execute(
            sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT DO NOTHING RETURNING {}").format(
                table, columns, columns, staging, sql.SQL(", ").join(sql.Identifier(field.column) for field in returned)
            )
        )
        inserted = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(sql.SQL("TRUNCATE {}").format(staging))
    return inserted


def _filler(field: models.Field, now):
    name = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda row: row.get(name, now)
    if isinstance(field, models.JSONField):
        # COPY takes JSON as text: dumped here (once for the default), not adapted value by value.
        encoder = field.encoder

        def dump(value):
            return None if value is None else json.dumps(value, cls=encoder)

        if field.has_default() and callable(field.default):
            constant = dump(field.default())
        else:
            constant = dump(field.get_default())
        return lambda row: dump(row[name]) if name in row else constant
    if field.has_default() and callable(field.default):
        return lambda row: row[name] if name in row else field.default()
    default = field.get_default()
    return lambda row: row.get(name, default)


# Rows written at once past which a table's statistics are refreshed at once (see analyze_after_bulk_write).
ANALYZE_THRESHOLD = 10_000


def analyze_after_bulk_write(
    models_grown: Sequence[type[models.Model]], *, rows: int, threshold: int = ANALYZE_THRESHOLD
) -> bool:
    """After a large batch (a tick's decisions, an import, a campaign's invitations): ANALYZE the tables it grew.

    PostgreSQL plans from table statistics that autovacuum refreshes only after a while; until then a table that
    just grew by 100,000 rows is planned as the small table it was (a sequential scan where an index fits, a
    nested loop over far more rows than expected). PostgreSQL only; after the surrounding transaction commits.
    Returns whether it was scheduled.
    """
    if connection.vendor != "postgresql" or rows <= threshold:
        return False
    tables = list(dict.fromkeys(model._meta.db_table for model in models_grown))

    def analyze() -> None:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))

    transaction.on_commit(analyze)
    return True
