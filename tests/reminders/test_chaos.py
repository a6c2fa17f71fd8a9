"""The chaos run (`make chaos`, devtools/chaos.py): its verdict, and a small run of the real thing.

The verdict (`judge`) is checked on hand-made outcomes, so a run that doubles or loses a message cannot pass.
The small run starts everything the big one does (its own database, Redis, fake Postmark, workers, two tick
processes), with 200 messages, one worker kill and one Redis restart.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devtools.chaos import judge
from messaging.models import Dispatch, DispatchStatus
from reminders.decide import decide_due_cross_tenant
from reminders.fallback import open_task
from reminders.task_titles import task_title

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def decided(world, make_invoice):
    make_invoice("CH-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    return dispatch


def ended(dispatch, status: str, reason: str = "") -> None:
    Dispatch.objects.filter(pk=dispatch.pk).update(status=status, reason=reason)


def ours(dispatch):
    return Dispatch.objects.filter(pk=dispatch.pk)  # the world has dispatches of its own


def at_provider(dispatch, copies: int) -> Counter:
    return Counter({(dispatch.organization_id, dispatch.pk): copies}) if copies else Counter()


@pytest.mark.django_db
def test_a_message_sent_once_is_neither_doubled_nor_lost(decided):
    ended(decided, DispatchStatus.SENT)
    outcome = judge(at_provider(decided, 1), expected=1, dispatches=ours(decided))
    assert (outcome["sent"], outcome["duplicates"], outcome["lost"], outcome["problems"]) == (1, 0, 0, [])


@pytest.mark.django_db
def test_a_message_the_provider_accepted_twice_is_a_duplicate(decided):
    ended(decided, DispatchStatus.SENT)
    outcome = judge(at_provider(decided, 2), expected=1, dispatches=ours(decided))
    assert (outcome["duplicates"], outcome["lost"]) == (1, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "reason", "copies", "expected"),
    [
        (DispatchStatus.SENT, "", 0, 1),  # booked sent, never accepted
        (DispatchStatus.QUEUED, "", 0, 1),  # still waiting at the end
        (DispatchStatus.SENDING, "", 1, 1),  # never resolved
        (DispatchStatus.FAILED, "", 0, 1),  # failed without saying why
        (DispatchStatus.UNCERTAIN, "The worker stopped", 1, 1),  # in doubt, but no task for a person
        (DispatchStatus.SENT, "", 1, 2),  # a due invoice that never got a message
    ],
)
def test_lost_messages_are_counted(decided, status, reason, copies, expected):
    ended(decided, status, reason)
    outcome = judge(at_provider(decided, copies), expected=expected, dispatches=ours(decided))
    assert outcome["lost"] == 1 and outcome["duplicates"] == 0, outcome["problems"]


@pytest.mark.django_db
def test_an_uncertain_message_with_a_reason_and_a_task_is_not_lost(decided):
    ended(decided, DispatchStatus.UNCERTAIN, "The worker stopped while sending; check whether it arrived.")
    open_task(decided, task_title("check_arrival", customer=decided.customer))
    outcome = judge(at_provider(decided, 1), expected=1, dispatches=ours(decided))
    figures = [outcome[name] for name in ("uncertain", "uncertain_at_provider", "lost", "duplicates")]
    assert figures == [1, 1, 0, 0]


# The real thing, small ----------------------------------------------------------------------------------------------


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.processes
@pytest.mark.skipif(not _postgres_url(), reason="the chaos run needs DATABASE_URL on PostgreSQL (its own database)")
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="the chaos run starts a redis-server of its own")
def test_a_small_chaos_run_sends_each_message_once_and_loses_none(tmp_path):
    server = _postgres_url().rsplit("/", 1)[0]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "CHAOS_MESSAGES": "200",
        "CHAOS_KILLS": "1",
        "CHAOS_REDIS_RESTARTS": "1",
        "CHAOS_TIME_LIMIT": "240",
        "CHAOS_DATABASE_URL": f"{server}/collect_chaos_{os.getpid()}",
        "CHAOS_REDIS_PORT": str(_free_port()),
        "CHAOS_PROVIDER_PORT": str(_free_port()),
        "CHAOS_DIR": str(tmp_path),
    }
    try:
        run = subprocess.run(
            [sys.executable, "-m", "devtools.chaos"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=420,
            check=False,
        )
    finally:
        _drop_database(env["CHAOS_DATABASE_URL"])
    print(run.stdout[-3000:])  # noqa: T201
    figures = _figures(run.stdout)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (figures["duplicates"], figures["lost"], figures["kills"], figures["redis restarts"]) == (0, 0, 1, 1)
    assert figures["sent"] + figures["failed"] + figures["uncertain"] == figures["decided"] == 200


def _figures(output: str) -> dict[str, int]:
    """The printed figures: `  duplicates        0` → {"duplicates": 0}."""
    figures = {}
    for line in output.splitlines():
        words = line.split()
        if line.startswith("  ") and len(words) >= 2 and words[-1].isdigit():
            figures[" ".join(words[:-1])] = int(words[-1])
    return figures


def _drop_database(url: str) -> None:
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    server = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as maintenance:
        maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"])))


def test_the_run_refuses_to_drop_a_database_not_named_for_chaos():
    from devtools.chaos import ChaosError, recreate_database

    with pytest.raises(ChaosError, match="refusing to drop 'collect'"):
        recreate_database("postgres://postgres@127.0.0.1:5432/collect")
