"""One tick at a time: a tick that finds another one running skips at once and says so."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from django.db import connection

from collect.celery import app as celery_app
from messaging.models import Dispatch, DispatchStatus
from reminders.lease import TICK, TICK_TTL, advisory_key, row_lease_release, row_lease_take
from reminders.tasks import tick

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))  # the invoice's first step is due
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")


def decided_by(result: dict) -> int:
    """How many messages a tick that ran decided (it must not have skipped)."""
    assert result["skipped"] is False, result
    return result["decided"]


def other_session():
    """A connection of its own to the test database: another worker process, as far as PostgreSQL can tell."""
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )


@pytest.fixture(autouse=True)
def deliveries_run_inline():
    """The tick rings for deliveries; run them in this process instead of leaving messages on a shared broker."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@contextmanager
def tick_running_elsewhere():
    """Another tick holds the lease meanwhile: in another database session on PostgreSQL, a leased row elsewhere."""
    if connection.vendor == "postgresql":
        with other_session() as session:
            session.execute("SELECT pg_advisory_lock(%s)", [advisory_key(TICK)])
            yield
            session.execute("SELECT pg_advisory_unlock(%s)", [advisory_key(TICK)])  # done: at once, not on exit
        return
    token = row_lease_take(TICK, ttl=TICK_TTL)
    assert token is not None
    try:
        yield
    finally:
        row_lease_release(TICK, token=token)


def test_a_second_tick_skips_while_the_first_one_runs(make_invoice, caplog):
    invoice = make_invoice("T-1", date(2026, 12, 7))
    caplog.set_level(logging.INFO, logger="reminders.tasks")
    with time_machine.travel(NOW, tick=False):
        with tick_running_elsewhere():
            assert tick() == {"skipped": True, "reason": "another tick is still running"}
        assert not Dispatch.objects.filter(invoice=invoice).exists()  # the skipped tick decided nothing
        assert "Follow-up tick skipped: another tick is still running" in caplog.text
        assert decided_by(tick()) == 1  # the lease is free again: the next tick decides
    assert Dispatch.objects.get(invoice=invoice).status == DispatchStatus.SENT


def test_a_tick_gives_the_lease_back_when_it_ends(make_invoice):
    make_invoice("T-2", date(2026, 12, 7))
    with time_machine.travel(NOW, tick=False):
        assert tick()["skipped"] is False
        assert decided_by(tick()) == 0


def test_a_leased_row_is_taken_once_until_it_is_given_back_or_expires():
    """The lease where PostgreSQL's advisory locks are missing (SQLite): a holder that died blocks until expiry."""
    with time_machine.travel(NOW, tick=False) as clock:
        first = row_lease_take("test-lease", ttl=timedelta(minutes=15))
        assert first is not None
        assert row_lease_take("test-lease", ttl=timedelta(minutes=15)) is None
        row_lease_release("test-lease", token=first)
        second = row_lease_take("test-lease", ttl=timedelta(minutes=15))
        assert second is not None  # given back: free at once
        clock.shift(timedelta(minutes=14))
        assert row_lease_take("test-lease", ttl=timedelta(minutes=15)) is None
        clock.shift(timedelta(minutes=2))
        assert row_lease_take("test-lease", ttl=timedelta(minutes=15)) is not None  # its holder died: expired
        row_lease_release("test-lease", token=second)  # the late holder cannot free the new holder's lease
        assert row_lease_take("test-lease", ttl=timedelta(minutes=15)) is None


def wait_until_the_server_ended(pid: int) -> None:
    """The server ends a closed session's process (and frees its locks) a moment after the client left."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot of the activity
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"session {pid} still open")


@on_postgresql
def test_a_tick_whose_worker_died_does_not_block_the_next_one(make_invoice):
    """PostgreSQL releases an advisory lock with the session that held it: no expiry to wait for."""
    make_invoice("T-3", date(2026, 12, 7))
    session = other_session()
    session.execute("SELECT pg_advisory_lock(%s)", [advisory_key(TICK)])
    session_pid = session.info.backend_pid
    with time_machine.travel(NOW, tick=False):
        assert tick()["skipped"] is True
        session.close()  # the worker died: its connection ended without unlocking
        wait_until_the_server_ended(session_pid)
        assert decided_by(tick()) == 1
