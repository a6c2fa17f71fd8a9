"""The chaos run (`make chaos`): thousands of due messages delivered while workers, broker and provider fail.

    CHAOS_MESSAGES=10000 python -m devtools.chaos        # the default size; CHAOS_MESSAGES scales it down

A database of its own (`collect_chaos`, dropped and recreated), migrated and seeded through the import services
with one organization whose one-step plan makes every invoice due today; the real tick decides the messages
(two tick processes at once, all along, each deciding, ringing and sweeping). Real Celery workers (the project's
app, prefork) deliver through anymail's real Postmark backend to a fake Postmark on loopback (tests/fake_esp.py,
a server process of its own) that fails 30% of the calls, before or after accepting the message, and 10% of the
searches delivery and the sweeper make to learn whether it has a message (unanswered twice: `uncertain`, a task for
a person). Meanwhile the workers are SIGKILLed (whole process group) five times and restarted, and the broker, a
redis-server of this run on a port of its own without persistence, is killed and restarted empty once.

The outcome is read from the database and from the provider's own list of what it accepted: each message
accepted at most once (duplicates), and every decided message ends sent (and the provider has it), or failed or
uncertain with a reason and a task for a person (lost otherwise). The figures are printed; the exit status is 1
on any duplicate or loss, 2 when the time bound ran out before every message finished (and nothing was doubled).

Time is compressed so that a run fits in minutes: the lease after which a dead worker's claim is reconciled is
30 s instead of 15 min (the task time limit 20 s instead of 10 min), retries wait 1, 2, 5, 10, 20 s instead of
1, 5, 15, 60, 180 min, and each tick process ticks every 5 s instead of every minute.

Channels plug in through CHANNELS: each starts its fake provider, gives the workers its settings and reports what
the provider accepted per dispatch. Only e-mail exists today; letters and SMS add a Channel of their own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import environ
import requests

ROOT = Path(__file__).resolve().parents[1]
ENV = environ.Env()


@dataclass(frozen=True)
class Config:
    messages: int = ENV.int("CHAOS_MESSAGES", default=10_000)
    kills: int = ENV.int("CHAOS_KILLS", default=5)
    redis_restarts: int = ENV.int("CHAOS_REDIS_RESTARTS", default=1)
    fault_rate: float = ENV.float("CHAOS_FAULT_RATE", default=0.3)
    search_fault_rate: float = ENV.float("CHAOS_SEARCH_FAULT_RATE", default=0.1)  # the provider's message search
    time_limit: float = ENV.float("CHAOS_TIME_LIMIT", default=600)  # seconds for the whole run, set-up included
    database_url: str = ENV.str("CHAOS_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/collect_chaos")
    redis_port: int = ENV.int("CHAOS_REDIS_PORT", default=6390)
    provider_port: int = ENV.int("CHAOS_PROVIDER_PORT", default=6391)
    workers: int = ENV.int("CHAOS_WORKERS", default=2)
    concurrency: int = ENV.int("CHAOS_CONCURRENCY", default=2)
    tick_every: float = ENV.float("CHAOS_TICK_SECONDS", default=5)
    folder: Path = Path(ENV.str("CHAOS_DIR", default=str(ROOT / "var" / "chaos")))

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"


# Time compressed (see the module docstring); the lease stays longer than the task time limit.
COMPRESSED_TIME = {
    "FOLLOW_UP_LEASE_SECONDS": "30",
    "CELERY_TASK_TIME_LIMIT": "20",
    "CELERY_TASK_SOFT_TIME_LIMIT": "15",
    "FOLLOW_UP_RETRY_SECONDS": "1,2,5,10,20",
}


# Processes -------------------------------------------------------------------------------------------------------


class Process:
    """A child in a process group of its own, so a kill takes its children (a worker's pool) with it."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            # Our own command line (workers, the fake provider, Redis), never user input.
            self.popen = subprocess.Popen(  # noqa: S603
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=15)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float, since: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text()[since:]:
                return
            if not self.alive():
                raise ChaosError(f"{self.name} exited:\n{self.tail()}")
            time.sleep(0.1)
        raise ChaosError(f"{self.name}: no {text!r} after {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class ChaosError(Exception):
    pass


@dataclass
class Channel:
    """A delivery channel as the chaos run sees it: its fake provider, the workers' settings, what it accepted."""

    name: str  # the step channel (messaging.models.StepChannel)
    provider: Process | None = None

    def start_provider(self, config: Config, env: dict[str, str], lifetime: float) -> None:
        raise NotImplementedError

    def worker_env(self, config: Config) -> dict[str, str]:
        raise NotImplementedError

    def accepted(self) -> tuple[Counter[tuple[int, int]], dict]:
        """How often the provider accepted each (organization id, dispatch id), and its own figures."""
        raise NotImplementedError


@dataclass
class EmailChannel(Channel):
    name: str = "email"
    url: str = ""
    client_timeout: float = 0.5  # anymail's REQUESTS_TIMEOUT; "accept-slow" answers only after 1 s
    # Drawn evenly: before accepting, an HTTP 500 or a dropped connection; after accepting, the connection dropped or
    # the answer late (rarer: each costs a worker the whole client timeout).
    modes: str = "500,500,drop,drop,accept-drop,accept-drop,accept-slow"

    def start_provider(self, config: Config, env: dict[str, str], lifetime: float) -> None:
        self.url = f"http://127.0.0.1:{config.provider_port}/"
        command = [
            sys.executable,
            "-m",
            "tests.fake_esp",
            "--port",
            str(config.provider_port),
            "--fail-rate",
            str(config.fault_rate),
            "--modes",
            self.modes,
            "--slow",
            str(self.client_timeout + 0.5),
            "--lifetime",
            str(lifetime),
            "--search-fail-rate",
            str(config.search_fault_rate),
        ]
        self.provider = Process("fake Postmark", command, env=env, log=config.folder / "provider.log").start()
        self.provider.wait_for_log("listening on", timeout=30)

    def worker_env(self, config: Config) -> dict[str, str]:
        anymail = {
            "POSTMARK_SERVER_TOKEN": "test",
            "POSTMARK_API_URL": self.url,
            "REQUESTS_TIMEOUT": self.client_timeout,
        }
        return {"EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend", "ANYMAIL": json.dumps(anymail)}

    def accepted(self) -> tuple[Counter[tuple[int, int]], dict]:
        report = requests.get(self.url + "_fake/accepted", timeout=60).json()
        counts: Counter[tuple[int, int]] = Counter()
        for message in report.pop("accepted"):
            metadata = message["metadata"]
            counts[(int(metadata.get("organization_id", 0)), int(metadata.get("dispatch_id", 0)))] += 1
        report["accepted"] = sum(counts.values())
        return counts, report


CHANNELS: dict[str, type[Channel]] = {"email": EmailChannel}


# The run -----------------------------------------------------------------------------------------------------------


@dataclass
class Figures:
    messages: int = 0
    decided: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    uncertain_at_provider: int = 0  # of the uncertain ones, how many the provider had after all
    duplicates: int = 0
    lost: int = 0
    kills: int = 0
    redis_restarts: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        names = (
            "messages",
            "decided",
            "sent",
            "failed",
            "uncertain",
            "uncertain_at_provider",
            "duplicates",
            "lost",
            "kills",
            "redis_restarts",
        )
        rows = [f"  {name.replace('_', ' '):<22} {getattr(self, name):>8}" for name in names]
        return [*rows, f"  {'elapsed':<22} {self.elapsed:>7.1f}s"]


class Run:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.started = time.monotonic()
        self.deadline = self.started + config.time_limit
        self.channels = [CHANNELS["email"]()]
        self.processes: list[Process] = []
        self.workers: list[Process] = []
        self.redis: Process | None = None
        self.figures = Figures(messages=config.messages)
        self.stop_file = config.folder / "stop"
        self.seeded = False

    # Set-up ----------------------------------------------------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "CHAOS_"))}
        env = {
            **keep,
            "DJANGO_SETTINGS_MODULE": "collect.settings",
            "DATABASE_URL": self.config.database_url,
            "REDIS_URL": self.config.redis_url,
            "COLLECT_VAR_DIR": str(self.config.folder),
            "CONN_MAX_AGE": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **COMPRESSED_TIME,
        }
        for channel in self.channels:
            env.update(channel.worker_env(self.config))
        return env

    def say(self, text: str) -> None:
        print(f"[chaos {time.monotonic() - self.started:6.1f}s] {text}", flush=True)  # noqa: T201

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check_time(self, what: str) -> None:
        if self.remaining() <= 0:
            raise TimeoutError(f"the time bound ({self.config.time_limit:.0f} s) ran out while {what}")

    def prepare(self) -> None:
        self.config.folder.mkdir(parents=True, exist_ok=True)
        for old in self.config.folder.glob("*.log"):
            old.unlink()
        self.stop_file.unlink(missing_ok=True)
        lifetime = self.config.time_limit + 60
        for channel in self.channels:
            channel.start_provider(self.config, dict(os.environ), lifetime)
            self.processes.append(channel.provider)
        os.environ.update(self.base_env())  # this process (seeding, checking) uses the same settings
        recreate_database(self.config.database_url)
        import django

        django.setup()
        from django.core.management import call_command

        self.say(f"migrating {self.config.database_url.rsplit('/', 1)[-1]}")
        call_command("migrate", verbosity=0, interactive=False)
        self.say(f"seeding {self.config.messages} due invoices")
        seed(self.config.messages)
        self.seeded = True
        self.start_redis()

    def start_redis(self) -> None:
        command = [
            "redis-server",
            "--port",
            str(self.config.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.config.folder),
        ]
        self.redis = Process("redis", command, env=dict(os.environ), log=self.config.folder / "redis.log")
        since = len(self.redis.log_text())
        self.processes.append(self.redis.start())
        self.redis.wait_for_log("Ready to accept connections", timeout=20, since=since)

    def start_worker(self, number: int) -> Process:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "collect",
            "worker",
            "--pool=prefork",
            f"--concurrency={self.config.concurrency}",
            "--prefetch-multiplier=1",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-n",
            f"chaos{number}@%h",
        ]
        worker = Process(f"worker {number}", command, env=self.base_env(), log=self.config.folder / f"w{number}.log")
        since = len(worker.log_text())
        worker.start()
        self.processes.append(worker)
        worker.wait_for_log(" ready.", timeout=60, since=since)
        return worker

    def start_ticks(self) -> None:
        for number in (1, 2):  # two tick processes at once, all along: every tick is a double tick
            command = [
                sys.executable,
                "-m",
                "devtools.chaos",
                "tick",
                str(self.config.tick_every),
                str(self.stop_file),
                str(self.deadline - time.monotonic() + time.time()),
            ]
            tick = Process(f"tick {number}", command, env=self.base_env(), log=self.config.folder / f"tick{number}.log")
            self.processes.append(tick.start())

    # Chaos -----------------------------------------------------------------------------------------------------

    def run(self) -> Figures:
        try:
            self.prepare()
            self.workers = [self.start_worker(number) for number in range(1, self.config.workers + 1)]
            self.say(f"{len(self.workers)} workers ready; two tick processes start")
            self.start_ticks()
            self.wreak_havoc()
            self.wait_until_settled()
        except (TimeoutError, ChaosError) as error:
            self.figures.notes.append(str(error))
            self.say(f"stopped: {error}")
        finally:
            self.stop_file.touch()
            self.stop_all(providers=False)
        self.check()
        self.figures.elapsed = time.monotonic() - self.started
        return self.figures

    def progress(self) -> tuple[int, int, int]:
        """(decided, finished, in the pipeline): finished = no longer queued or sending."""
        from django.db.models import Count

        from messaging.models import Dispatch, DispatchStatus

        counts = Counter({row["status"]: row["n"] for row in Dispatch.objects.values("status").annotate(n=Count("id"))})
        pipeline = counts[DispatchStatus.QUEUED] + counts[DispatchStatus.SENDING]
        decided = sum(counts.values())
        return decided, decided - pipeline, pipeline

    def wreak_havoc(self) -> None:
        """Kill a worker at even steps of progress, and restart Redis empty once, half-way between two kills."""
        kills, restarts = self.config.kills, self.config.redis_restarts
        events = [("kill", (k + 1) / (kills + 1)) for k in range(kills)]
        events += [("redis", (r + 1) / (restarts + 1) + 0.5 / (kills + 1)) for r in range(restarts)]
        events.sort(key=lambda event: event[1])
        victim = 0
        for kind, at in events:
            while True:
                self.check_time(f"waiting to {kind} at {at:.0%} of the messages finished")
                decided, finished, _pipeline = self.progress()
                if decided >= self.config.messages and finished >= at * self.config.messages:
                    break
                time.sleep(0.25)
            if kind == "kill":
                self.kill_worker(victim % len(self.workers))
                victim += 1
            else:
                self.restart_redis()

    def kill_worker(self, index: int) -> None:
        from messaging.models import Dispatch, DispatchStatus

        worker = self.workers[index]
        sending = Dispatch.objects.filter(status=DispatchStatus.SENDING).count()
        worker.kill(signal.SIGKILL)
        self.figures.kills += 1
        self.say(f"SIGKILL {worker.name}, its whole process group ({sending} messages in `sending` at that moment)")
        self.workers[index] = self.start_worker(index + 1)

    def restart_redis(self) -> None:
        import redis

        queued = redis.Redis.from_url(self.config.redis_url).llen("celery")
        self.redis.kill(signal.SIGKILL)
        self.start_redis()
        self.figures.redis_restarts += 1
        after = redis.Redis.from_url(self.config.redis_url).llen("celery")
        self.say(f"Redis killed with {queued} delivery messages queued; restarted empty ({after} queued)")

    def wait_until_settled(self) -> None:
        """Until every decided message has left queued/sending (retries and the sweepers do the rest)."""
        last = 0.0
        while True:
            self.check_time("waiting for the last messages")
            decided, finished, pipeline = self.progress()
            if decided >= self.config.messages and pipeline == 0:
                self.say(f"settled: {finished} of {decided} decided messages finished")
                return
            if time.monotonic() - last > 10:
                self.say(f"{finished} of {decided} finished, {pipeline} queued or sending")
                last = time.monotonic()
            time.sleep(0.5)

    def stop_all(self, *, providers: bool = True) -> None:
        for process in reversed(self.processes):
            if process.name.startswith("tick"):
                process.kill(signal.SIGTERM)
        keep = set() if providers else {id(channel.provider) for channel in self.channels}
        for process in reversed(self.processes):
            if id(process) not in keep:
                process.kill(signal.SIGKILL)

    # The outcome -----------------------------------------------------------------------------------------------

    def check(self) -> None:
        if not self.seeded:  # the set-up failed: nothing was delivered, and that is not a pass
            self.figures.lost = self.config.messages
            return
        from django.db import connection

        connection.close()
        figures = self.figures
        accepted: Counter[tuple[int, int]] = Counter()
        for channel in self.channels:
            counts, report = channel.accepted()
            accepted.update(counts)
            self.say(
                f"{channel.name} provider: {report['calls']} calls, failures {report['failures']}, "
                f"{report['searches']} searches, {report['accepted']} accepted"
            )
        outcome = judge(accepted, expected=self.config.messages)
        for name, value in outcome.items():
            if name != "problems":
                setattr(figures, name, value)
        figures.notes.extend(outcome["problems"][:20])


def judge(accepted: Counter[tuple[int, int]], *, expected: int, dispatches=None) -> dict:
    """Duplicates and losses, from the database and what the providers accepted per (organization, dispatch).

    `dispatches`: the queryset judged (every dispatch of the run's database by default)."""
    from messaging.models import Dispatch, DispatchStatus
    from reminders.models import Task

    dispatches = Dispatch.objects.all() if dispatches is None else dispatches
    rows = list(dispatches.values_list("pk", "organization_id", "status", "reason"))
    tasks = set(Task.objects.filter(dispatch__isnull=False).values_list("dispatch_id", flat=True))
    statuses = Counter(status for _pk, _organization, status, _reason in rows)
    problems: list[str] = []
    lost = max(expected - len(rows), 0)
    if lost:
        problems.append(f"{lost} due invoices never got a message decided")
    known = set()
    for pk, organization_id, status, reason in rows:
        known.add((organization_id, pk))
        copies = accepted[(organization_id, pk)]
        if status == DispatchStatus.SENT and copies == 0:
            problems.append(f"dispatch {pk}: booked sent, the provider never accepted it")
            lost += 1
        elif status in (DispatchStatus.FAILED, DispatchStatus.UNCERTAIN) and not reason:
            problems.append(f"dispatch {pk}: {status} without a reason")
            lost += 1
        elif status == DispatchStatus.UNCERTAIN and pk not in tasks:
            problems.append(f"dispatch {pk}: uncertain without a task for a person")
            lost += 1
        elif status not in (DispatchStatus.SENT, DispatchStatus.FAILED, DispatchStatus.UNCERTAIN):
            problems.append(f"dispatch {pk}: ended {status} ({reason})")
            lost += 1
        elif status == DispatchStatus.FAILED and copies:
            problems.append(f"dispatch {pk}: booked failed ({reason}), yet the provider accepted it")
    duplicates = sum(copies - 1 for copies in accepted.values() if copies > 1)
    problems += [f"dispatch {key[1]}: accepted {copies} times" for key, copies in accepted.items() if copies > 1]
    uncertain = sum(
        1
        for pk, organization_id, status, _reason in rows
        if status == DispatchStatus.UNCERTAIN and accepted[(organization_id, pk)]
    )
    foreign = sum(copies for key, copies in accepted.items() if key not in known)
    if foreign:
        problems.append(f"{foreign} accepted messages belong to no dispatch")
        duplicates += foreign
    return {
        "decided": len(rows),
        "sent": statuses[DispatchStatus.SENT],
        "failed": statuses[DispatchStatus.FAILED],
        "uncertain": statuses[DispatchStatus.UNCERTAIN],
        "uncertain_at_provider": uncertain,
        "duplicates": duplicates,
        "lost": lost,
        "problems": problems,
    }


# The world ---------------------------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    """Drop and create the run's own database (on the server's `postgres` maintenance database)."""
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        raise ChaosError("the chaos run needs PostgreSQL (CHAOS_DATABASE_URL)")
    # It drops the database it is given: only one named for chaos, never a real one pointed at by mistake.
    if "chaos" not in config["NAME"]:
        raise ChaosError(f"refusing to drop {config['NAME']!r}: the chaos database's name must contain 'chaos'")
    server = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as maintenance:
        name = sql.Identifier(config["NAME"])
        maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(name))


def seed(messages: int, *, invoices_per_customer: int = 5) -> None:
    """One organization, customers with a contact each and `messages` invoices due yesterday, written through the
    import services (which schedule them); a one-step e-mail plan per invoice, sent any day at any hour."""
    from datetime import time as clock_time
    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from customers.services import customers_create_many
    from invoices.services import invoice_effects_batched, invoice_new, invoices_create_many
    from messaging.models import StepChannel
    from organizations.models import Organization, Tenant
    from reminders.engine import settings_for
    from reminders.models import FollowUpPlan, FollowUpStep, Grouping

    tenant = Tenant.objects.create(name="Chaos")
    organization = Organization.objects.create(
        tenant=tenant,
        name="Chaos Ltd",
        slug="chaos",
        country="ZZ",
        time_zone="UTC",
        default_language="en",
        currency="EUR",
    )
    follow_up = settings_for(organization)
    follow_up.weekdays, follow_up.send_start, follow_up.send_end = list(range(7)), clock_time(0), clock_time.max
    follow_up.save()
    plan = FollowUpPlan.objects.create(
        organization=organization, name="Once", is_default=True, grouping=Grouping.PER_INVOICE
    )
    FollowUpStep.objects.create(
        organization=organization,
        plan=plan,
        position=1,
        name="Reminder",
        offset_days=0,
        channel=StepChannel.EMAIL,
        purpose="reminder_1",
    )
    count = max(1, -(-messages // invoices_per_customer))
    rows = [
        (
            {"name": f"Debtor {n}", "external_ref": f"D-{n}", "language": "en"},
            [{"name": f"Payer {n}", "email": f"payer{n}@debtor.example"}],
        )
        for n in range(count)
    ]
    customers = customers_create_many(organization=organization, rows=rows)
    due = timezone.localdate(timezone=organization.zone) - timedelta(days=1)
    invoices = [
        invoice_new(
            organization=organization,
            customer=customers[n % count],
            number=f"C-{n:05d}",
            issue_date=due - timedelta(days=30),
            due_date=due,
            amount=Decimal("100.00"),
        )
        for n in range(messages)
    ]
    with invoice_effects_batched():
        invoices_create_many(organization=organization, invoices=invoices)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# Entry points ------------------------------------------------------------------------------------------------------


def tick_loop(every: float, stop_file: str, until: float) -> None:
    """A tick process: the beat task's body (decide, ring, sweep) every `every` seconds until told to stop."""
    import django

    django.setup()
    from django.db import connection

    from reminders.tasks import tick

    stop = Path(stop_file)
    signal.signal(signal.SIGTERM, lambda *_: stop.touch())
    while not stop.exists() and time.time() < until:
        started = time.monotonic()
        try:
            tick()
        except Exception as error:  # the broker restarting under it, say: the next tick tries again
            print(f"tick failed: {error!r}", flush=True)  # noqa: T201
            connection.close()
        time.sleep(max(every - (time.monotonic() - started), 0.1))


def main(argv: list[str]) -> int:
    if argv[:1] == ["tick"]:
        tick_loop(float(argv[1]), argv[2], float(argv[3]))
        return 0
    config = Config()
    run = Run(config)
    previous = signal.signal(signal.SIGALRM, _out_of_time)
    signal.signal(signal.SIGTERM, _out_of_time)  # stopped from outside: clean up all the same
    signal.alarm(int(config.time_limit) + 120)  # a hard stop even if a step hangs
    try:
        figures = run.run()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        run.stop_all()
    print(
        "Chaos run: "
        + ", ".join(
            f"{k}={v}"
            for k, v in {
                "messages": config.messages,
                "kills": config.kills,  # noqa: T201
                "redis restarts": config.redis_restarts,
                "provider faults": f"{config.fault_rate:.0%}",
            }.items()
        )
    )
    print("\n".join(figures.lines()))  # noqa: T201
    for note in figures.notes:
        print(f"  ! {note}")  # noqa: T201
    out_of_time = any("time bound" in note for note in figures.notes)
    if figures.duplicates or (figures.lost and not out_of_time):
        print("FAILED: duplicates or lost messages")  # noqa: T201
        return 1
    if out_of_time:
        print("FAILED: the time bound ran out (what had not finished counts as lost)")  # noqa: T201
        return 2
    print("OK: no duplicate, nothing lost")  # noqa: T201
    return 0


def _out_of_time(signum, _frame) -> None:
    raise TimeoutError(f"the time bound ran out (signal {signum})")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
