"""Exactly once, with real processes: every due reminder reaches the provider once, none lost, none doubled.

Real Celery workers (prefork, two children, started in their own process group) share the test database
on PostgreSQL and a Redis broker with this test; anymail's real Postmark backend talks HTTP to a fake
Postmark on loopback (tests/fake_esp.py), which counts what it accepted by Message-ID. Then things go
wrong on purpose: two ticks at once, a worker SIGKILLed in the middle of a send, Redis killed and restarted
empty, the provider failing 30% of calls. Each scenario ends with the same proof: the provider holds each
dispatch's message exactly once and every dispatch is booked sent.

The workers run with the default settings module (`collect.settings`), which reads DATABASE_URL, REDIS_URL,
EMAIL_BACKEND and ANYMAIL from the environment: `collect.settings.test` pins the database mail store,
which is not what these tests send through.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import time as clock_time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from django.utils import timezone

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from messaging.delivery import BACKOFF, LEASE, deliver_one, due_dispatch_ids
from messaging.models import AttemptOutcome, DeliveryAttempt, Dispatch, DispatchEvent, DispatchStatus, StepChannel
from messaging.sweep import sweep
from messaging.transports import message_id
from reminders.decide import decide_due_cross_tenant
from reminders.engine import settings_for
from reminders.models import FollowUpPlan, FollowUpStep, Grouping, TaskStatus
from tests.factories import OrganizationFactory
from tests.fake_esp import FakePostmark


def _shared_services() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) and bool(
        os.environ.get("REDIS_URL")
    )


pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        not _shared_services(),
        reason="needs DATABASE_URL on PostgreSQL and REDIS_URL: real worker processes share the database and broker",
    ),
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/15"
WEBHOOK_AUTH = ("postmark", "fake-provider-webhook-secret")
WEBHOOK_PATH = "/webhooks/anymail/postmark/tracking/"


# Processes ---------------------------------------------------------------------------------------------


def database_url() -> str:
    """The test database (pytest-django's test_<name>), for the worker processes."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def kill_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


class Worker:
    """`celery -A collect worker --pool=prefork --concurrency=2` in a process group of its own."""

    def __init__(self, *, broker: str, esp: FakePostmark, folder: Path, name: str) -> None:
        self.broker, self.esp, self.name = broker, esp, name
        self.log = folder / f"{name}.log"
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
        return {**keep, "DJANGO_SETTINGS_MODULE": "collect.settings", "DATABASE_URL": database_url(),
                "REDIS_URL": self.broker, "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
                "ANYMAIL": json.dumps(self.esp.anymail_settings()), "COLLECT_VAR_DIR": str(self.folder),
                "MEDIA_ROOT": str(self.folder / "media"), "CONN_MAX_AGE": "0", "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1"}  # fmt: skip

    def start(self, timeout: float = 30) -> Worker:
        command = [sys.executable, "-m", "celery", "-A", "collect", "worker", "--pool=prefork", "--concurrency=2",
                   "--prefetch-multiplier=1", "--without-mingle", "--without-gossip", "--without-heartbeat",
                   "--loglevel=INFO", "-n", f"{self.name}@%h"]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.environment(), stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return self
            assert self.process.poll() is None, f"worker {self.name} exited:\n{self.tail()}"
            time.sleep(0.1)
        raise AssertionError(f"worker {self.name} not ready after {timeout} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its children die mid-task."""
        if self.process is not None:
            kill_group(self.process)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


class RedisServer:
    """A redis-server of this test's own, without persistence: killed, it forgets everything queued."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no", "--dir", str(self.folder), "--protected-mode", "yes"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)  # fmt: skip
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            kill_group(self.process)

    def queued(self) -> int:
        from collect.celery import QUEUES

        client = redis.Redis.from_url(self.url)
        return sum(client.llen(queue) for queue in QUEUES)


@pytest.fixture
def processes(tmp_path):
    """Starts workers; whatever happens in the test, every process group it started is killed."""
    started: list = []

    def worker(*, esp: FakePostmark, broker: str = BROKER, name: str = "w1") -> Worker:
        started.append(Worker(broker=broker, esp=esp, folder=tmp_path, name=name))
        return started[-1].start()

    def redis_server() -> RedisServer:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        started.append(RedisServer(tmp_path))
        return started[-1]

    redis.Redis.from_url(BROKER).flushdb()
    try:
        yield worker, redis_server
    finally:
        for process in reversed(started):
            process.kill()
        redis.Redis.from_url(BROKER).flushdb()


@pytest.fixture
def esp(settings):
    """The fake Postmark; this process (the tick, the sweeper) sends through it as the workers do."""
    with FakePostmark(lifetime=240) as fake:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = fake.anymail_settings(WEBHOOK_SECRET=":".join(WEBHOOK_AUTH))
        yield fake


# The world -------------------------------------------------------------------------------------------------


def due_reminders(count: int, *, customers: int) -> list[int]:
    """`count` open invoices whose one-step plan is due now, sent any day at any hour (no holidays in ZZ)."""
    organization = OrganizationFactory(country="ZZ", time_zone="UTC", default_language="en")
    follow_up = settings_for(organization)
    follow_up.weekdays, follow_up.send_start, follow_up.send_end = list(range(7)), clock_time(0), clock_time.max
    follow_up.save()
    plan = FollowUpPlan.objects.create(organization=organization, name="Once", is_default=True,
                                       grouping=Grouping.PER_INVOICE)  # fmt: skip
    FollowUpStep.objects.create(organization=organization, plan=plan, position=1, name="Reminder", offset_days=0,
                                channel=StepChannel.EMAIL, purpose="reminder_1")  # fmt: skip
    debtors = []
    for n in range(customers):
        debtor = customer_create(organization=organization, name=f"Debtor {n}", external_ref=f"D-{n}", language="en")
        contact_create(customer=debtor, name=f"Payer {n}", email=f"payer{n}@debtor.example")
        debtors.append(debtor)
    due = timezone.localdate(timezone=organization.zone) - timedelta(days=1)
    invoices = [
        invoice_create(organization=organization, customer=debtors[n % customers], number=f"EO-{n:04d}",
                       issue_date=due - timedelta(days=30), due_date=due, amount=Decimal("100.00"))
        for n in range(count)
    ]  # fmt: skip
    return [invoice.pk for invoice in invoices]


def ring(broker: str, dispatch_ids: list[int]) -> None:
    """The tick's doorbell: one `reminders.deliver` message per id, on the given broker."""
    from collect.celery import app
    from messaging.tasks import deliver

    with app.connection_for_write(broker) as broker_connection:
        for dispatch_id in dispatch_ids:
            deliver.apply_async((dispatch_id,), connection=broker_connection)


def wait_until(condition, *, timeout: float, what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    details = f"\n{worker.tail()}" if worker else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{details}")


def unsent() -> int:
    return Dispatch.objects.exclude(status=DispatchStatus.SENT).count()


def assert_each_sent_exactly_once(esp: FakePostmark, expected: int) -> None:
    dispatches = list(Dispatch.objects.all())
    assert len(dispatches) == expected
    assert [d.pk for d in dispatches if d.status != DispatchStatus.SENT] == []
    at_provider = esp.message_ids()
    wanted = {message_id(dispatch) for dispatch in dispatches}
    assert set(at_provider) == wanted, "lost or foreign messages at the provider"
    assert {mid: n for mid, n in at_provider.items() if n != 1} == {}, "doubled messages at the provider"


def in_threads(function, arguments: list, threads: int = 2) -> list:
    """Run `function` over the arguments in a few threads (each with its own database connection)."""
    results, lock, items = [], threading.Lock(), list(arguments)

    def run() -> None:
        try:
            while True:
                with lock:
                    if not items:
                        return
                    argument = items.pop()
                outcome = function(argument)
                with lock:
                    results.append(outcome)
        finally:
            connection.close()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    return results


# Scenarios -------------------------------------------------------------------------------------------------


def test_two_ticks_at_once_decide_and_send_each_reminder_once(processes, esp):
    start_worker, _redis = processes
    due_reminders(200, customers=40)
    worker = start_worker(esp=esp)
    barrier = threading.Barrier(2)

    def tick(_number: int) -> tuple[int, int]:
        barrier.wait(timeout=30)
        now = timezone.now()
        decided = decide_due_cross_tenant(now=now)
        due = due_dispatch_ids(now=now)
        ring(BROKER, due)
        return len(decided), len(due)

    outcomes = in_threads(tick, [1, 2])
    assert sum(decided for decided, _due in outcomes) == 200  # each (invoice, step) decided by one tick only
    assert Dispatch.objects.count() == 200
    wait_until(lambda: unsent() == 0, timeout=60, what="every dispatch sent", worker=worker)
    assert_each_sent_exactly_once(esp, 200)
    rung = sum(due for _decided, due in outcomes)
    print(f"\n[two ticks] decided {sorted(d for d, _ in outcomes)}, doorbells rung {rung}, provider calls "
          f"{esp.calls}, accepted {len(esp.accepted)}")  # fmt: skip


@pytest.mark.parametrize("webhooks", ["before the sweep", "found by the search", "after the sweep"])
def test_a_worker_killed_mid_send_is_reconciled_from_the_providers_events(processes, esp, live_server, webhooks):
    """The provider reports deliveries by webhook (to the app under live_server), as Postmark does.

    Killed while two calls are in the provider's hands, the worker never books them. The sweeper asks:
    a delivery event already in hand proves the message was sent; else Postmark's message search does;
    when the search cannot answer either, the dispatch becomes uncertain, and the late event then settles
    it. Nothing is sent a second time in any case.
    """
    start_worker, _redis = processes
    esp.webhook_url, esp.webhook_auth, esp.delay = live_server.url + WEBHOOK_PATH, WEBHOOK_AUTH, 0.05
    if webhooks != "before the sweep":
        esp.hold_webhooks()
    esp.search_fails = webhooks == "after the sweep"
    due_reminders(60, customers=20)
    decide_due_cross_tenant(now=timezone.now())
    worker = start_worker(esp=esp)
    ring(BROKER, due_dispatch_ids(now=timezone.now()))
    wait_until(lambda: len(esp.accepted) >= 20, timeout=30, what="20 messages accepted", worker=worker)
    esp.hold()  # calls from now on are accepted but not answered: the kill lands mid-send
    wait_until(lambda: esp.in_flight == 2, timeout=10, what="both worker children inside a call", worker=worker)
    worker.kill()
    esp.release()
    in_doubt = list(Dispatch.objects.filter(status=DispatchStatus.SENDING))
    assert len(in_doubt) == 2 and all(esp.count(message_id(d)) == 1 for d in in_doubt)
    if webhooks == "before the sweep":
        assert esp.webhooks_drained(timeout=15)
        assert DispatchEvent.objects.filter(dispatch__in=in_doubt, event_type="delivered").count() == 2

    # The lease has run out (the sweeper's clock moved on rather than waiting ten minutes). It sweeps before
    # the replacement worker starts: with the clock moved on, that worker's fresh claims would look stuck too.
    counts = sweep(now=timezone.now() + LEASE + timedelta(seconds=1))
    if webhooks != "after the sweep":
        assert counts == {"requeued": 0, "proven_sent": 2, "uncertain": 0}
        esp.release_webhooks()
    else:
        assert counts == {"requeued": 0, "proven_sent": 0, "uncertain": 2}
        esp.release_webhooks()
        wait_until(lambda: not Dispatch.objects.filter(status=DispatchStatus.UNCERTAIN).exists(), timeout=15,
                   what="the late delivery events to settle the uncertain dispatches")  # fmt: skip
        assert all(Dispatch.objects.get(pk=d.pk).task.status == TaskStatus.DONE for d in in_doubt)
    replacement = start_worker(esp=esp, name="w2")
    ring(BROKER, due_dispatch_ids(now=timezone.now()))  # the next tick: what the dead worker had reserved
    wait_until(lambda: unsent() == 0, timeout=45, what="every dispatch sent", worker=replacement)
    assert_each_sent_exactly_once(esp, 60)
    attempts = DeliveryAttempt.objects.filter(dispatch__in=in_doubt)
    assert [a.outcome for a in attempts] == [AttemptOutcome.SENT, AttemptOutcome.SENT]
    esp.webhooks_drained()
    print(f"\n[worker killed, webhooks {webhooks}] sweep {counts}, accepted {len(esp.accepted)} of 60, "
          f"webhooks posted {esp.webhooks_posted}")  # fmt: skip


def test_redis_restarted_empty_loses_the_queue_and_the_next_tick_re_enqueues_it(processes, esp):
    start_worker, new_redis = processes
    broker = new_redis().start()
    esp.delay = 0.02
    due_reminders(100, customers=20)
    decide_due_cross_tenant(now=timezone.now())
    worker = start_worker(esp=esp, broker=broker.url)
    ring(broker.url, due_dispatch_ids(now=timezone.now()))
    wait_until(lambda: len(esp.accepted) >= 25, timeout=30, what="25 messages accepted", worker=worker)
    broker.kill()
    waiting_in_broker = unsent()
    broker.start()  # same port, no persistence: empty
    assert broker.queued() == 0
    rounds = []
    deadline = time.monotonic() + 45
    while unsent() and time.monotonic() < deadline:
        due = due_dispatch_ids(now=timezone.now())
        rounds.append(len(due))
        ring(broker.url, due)  # the tick: the database, not the broker, knows what is still to send
        time.sleep(3)
    assert unsent() == 0, f"still unsent after the ticks {rounds}:\n{worker.tail()}"
    assert_each_sent_exactly_once(esp, 100)
    print(f"\n[redis restarted empty] unsent when Redis died {waiting_in_broker}, re-enqueued per tick {rounds}, "
          f"accepted {len(esp.accepted)} of 100")  # fmt: skip


def test_a_provider_failing_30_percent_of_calls_gets_each_message_once_after_retries(processes, esp):
    start_worker, _redis = processes
    esp.fail(0.3, calls=130)  # HTTP 500 or a dropped connection, before the provider accepts anything
    due_reminders(100, customers=20)
    decide_due_cross_tenant(now=timezone.now())
    worker = start_worker(esp=esp)
    ring(BROKER, due_dispatch_ids(now=timezone.now()))
    wait_until(lambda: not Dispatch.objects.filter(attempts=0).exists()
               and not Dispatch.objects.filter(status=DispatchStatus.SENDING).exists(),
               timeout=60, what="the first pass", worker=worker)  # fmt: skip
    waiting = Dispatch.objects.filter(status=DispatchStatus.QUEUED).count()
    assert waiting == sum(esp.failures.values()) > 0
    assert due_dispatch_ids(now=timezone.now()) == []  # retries wait for their backoff, not sent at once
    worker.kill()

    # Retries after 1, 5, 15… minutes: instead of waiting, deliver passes with the clock moved on.
    clock, passes = timezone.now(), []
    for wait in BACKOFF:
        if not unsent():
            break
        clock += wait + timedelta(seconds=5)
        due = due_dispatch_ids(now=clock)
        passes.append(len(due))
        in_threads(lambda pk, now=clock: deliver_one(dispatch_id=pk, now=now), due)
    assert_each_sent_exactly_once(esp, 100)
    assert esp.calls == len(esp.accepted) + sum(esp.failures.values())
    assert set(esp.failures) == {"500", "drop"}
    for dispatch in Dispatch.objects.prefetch_related("delivery_attempts"):
        outcomes = [attempt.outcome for attempt in dispatch.delivery_attempts.all()]
        assert outcomes[-1] == AttemptOutcome.SENT and set(outcomes[:-1]) <= {AttemptOutcome.TRANSIENT}
    print(f"\n[provider failing] failures {dict(esp.failures)}, waiting after the first pass {waiting}, "
          f"retried per pass {passes}, calls {esp.calls}, accepted {len(esp.accepted)}")  # fmt: skip


def test_a_provider_that_loses_its_answer_after_accepting_gets_each_message_once(processes, esp, settings):
    """30% of calls fail; some after the provider accepted the message (the connection dropped, or the answer
    came after the client's timeout). Before retrying, delivery asks Postmark's message search: what it has is
    booked sent, only what it lacks is sent again."""
    start_worker, _redis = processes
    esp.client_timeout, esp.slow = 0.5, 1.0
    settings.ANYMAIL = esp.anymail_settings(WEBHOOK_SECRET=":".join(WEBHOOK_AUTH))
    esp.fail(0.3, calls=130, modes=("accept-drop", "accept-slow", "drop", "500"))
    due_reminders(100, customers=20)
    decide_due_cross_tenant(now=timezone.now())
    worker = start_worker(esp=esp)
    ring(BROKER, due_dispatch_ids(now=timezone.now()))
    wait_until(lambda: not Dispatch.objects.filter(attempts=0).exists()
               and not Dispatch.objects.filter(status=DispatchStatus.SENDING).exists(),
               timeout=90, what="the first pass", worker=worker)  # fmt: skip
    lost_answers = esp.failures["accept-drop"] + esp.failures["accept-slow"]
    waiting = Dispatch.objects.filter(status=DispatchStatus.QUEUED).count()
    assert lost_answers > 0 and waiting == esp.failures["drop"] + esp.failures["500"]
    worker.kill()

    clock = timezone.now()
    for wait in BACKOFF:
        if not unsent():
            break
        clock += wait + timedelta(seconds=5)
        in_threads(lambda pk, now=clock: deliver_one(dispatch_id=pk, now=now), due_dispatch_ids(now=clock))
    assert_each_sent_exactly_once(esp, 100)
    # Asked once per failure that may have been accepted, and once more before retrying what was not found then
    # (the search may lag): the "drop" and "500" failures, which the provider never had.
    assert esp.searches == sum(esp.failures.values()) + esp.failures["drop"] + esp.failures["500"]
    lost = [d for d in Dispatch.objects.prefetch_related("delivery_attempts") if message_id(d) in esp.answers_lost]
    assert len(lost) == len(esp.answers_lost) >= lost_answers
    for dispatch in lost:  # booked from the search on the attempt whose answer was lost; never sent again
        assert [a.outcome for a in dispatch.delivery_attempts.all()][-1] == AttemptOutcome.SENT
        assert dispatch.provider_message_id in {m.postmark_id for m in esp.accepted}
    print(f"\n[answers lost after accepting] failures {dict(esp.failures)}, searches {esp.searches}, "
          f"calls {esp.calls}, accepted {len(esp.accepted)} of 100")  # fmt: skip
