"""After a large batch, the tables it grew get fresh statistics (PostgreSQL), without waiting for autovacuum."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from reminders.models import Lease
from tabular.bulk_insert import ANALYZE_THRESHOLD, analyze_after_bulk_write

pytestmark = pytest.mark.django_db


def test_only_batches_over_the_threshold_are_analyzed_and_only_on_postgresql(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert analyze_after_bulk_write([Lease], rows=ANALYZE_THRESHOLD) is False
        over = analyze_after_bulk_write([Lease], rows=ANALYZE_THRESHOLD + 1)
    assert over is (connection.vendor == "postgresql")
    assert len(callbacks) == (1 if over else 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE and pg_class statistics are PostgreSQL's")
def test_a_large_batch_leaves_the_planner_counting_its_rows(django_capture_on_commit_callbacks):
    def planner_rows() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Lease._meta.db_table])
            return cursor.fetchone()[0]

    expires = timezone.now() + timedelta(minutes=1)
    Lease.objects.bulk_create([Lease(name=f"lease-{n}", expires_at=expires) for n in range(30)])
    assert planner_rows() != 30
    with django_capture_on_commit_callbacks(execute=True):
        analyze_after_bulk_write([Lease], rows=30, threshold=10)
    assert planner_rows() == 30
