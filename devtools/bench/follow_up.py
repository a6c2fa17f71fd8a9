"""Follow-up engine benchmarks (issue 4): tick, decide, delivery throughput and worker memory.

Found by the registry's autodiscovery (`bench_scenarios`). The set-up (`follow_up_setup`) is part of
the benchmark, not of the engine: it gives every organization of the bench tenant plan steps and
settings, and computes `next_follow_up_at` of every open invoice with ONE set-based UPDATE (the first
step's day at 09:00 Europe/Brussels, no weekend or holiday shift: good enough for the bench, and no
invoice has reached a step then). It is idempotent: a second run changes no rows.

- follow_up.tick_idle: one tick (decide, due deliveries, sweep) at a moment where nothing is due.
- follow_up.decide_100k: `decide_due_cross_tenant(dry_run=True)` at a moment when ~100,000 invoices are
  due, against one hand-written SQL statement computing the same (invoice, step) set; target ratio 2x.
- follow_up.deliver_2k / follow_up.worker_memory: two real Celery workers (concurrency 1 each) on a
  Redis database of their own deliver 2,000 manual dispatches to the locmem e-mail backend, rung as the
  tick rings them (`reminders.deliver_batch`, DELIVERY_BATCH ids per message); messages/s and each
  worker's peak RSS (VmHWM). The dispatches are deleted afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from customers.models import Customer
from devtools.bench.registry import BenchContext, Outcome, scenario
from invoices.models import Invoice
from mandates.selectors import collection_hold_q
from messaging.delivery import due_dispatch_ids
from messaging.models import DeliveryAttempt, Dispatch, DispatchInvoice, DispatchStatus, StepChannel, TemplatePurpose
from messaging.tasks import DELIVERY_BATCH
from organizations.models import Organization
from reminders.calendar import is_sending_day
from reminders.decide import decide_due_cross_tenant
from reminders.engine import REACHED, owed_sql, under_follow_up_sql
from reminders.follow_up_messages import FOLLOW_UP
from reminders.models import FollowUpPlan, FollowUpSettings, FollowUpStep, Task

ZONE = ZoneInfo("Europe/Brussels")
# (position, name, offset_days, channel, purpose) per plan name; both plans group per customer (the default).
PLAN_STEPS = {
    "Standard": [
        (1, "First reminder", 7, StepChannel.EMAIL, TemplatePurpose.REMINDER_1),
        (2, "Second reminder", 21, StepChannel.EMAIL, TemplatePurpose.REMINDER_2),
        (3, "Final notice", 45, StepChannel.EMAIL, TemplatePurpose.FINAL_NOTICE),
    ],
    "Key accounts": [
        (1, "Friendly reminder", 14, StepChannel.EMAIL, TemplatePurpose.REMINDER_1),
        (2, "Call the customer", 30, StepChannel.TASK, ""),
    ],
}
DECIDE_DUE = 100_000  # invoices due on the bench day
DECIDE_SAMPLE = 10_000  # measured first; the full day only when it extrapolates to at most DECIDE_LIMIT_S
DECIDE_LIMIT_S = 300
SQL_RUNS = 3
DELIVERIES = 2000
WORKERS = 2
REDIS_DB = 13  # the workers' broker: a Redis database of its own, emptied before and after
WORKER_READY_S = 60
DELIVERY_TIMEOUT_S = 180
FINAL = (DispatchStatus.SENT, DispatchStatus.FAILED, DispatchStatus.SKIPPED, DispatchStatus.MISSED,
         DispatchStatus.TEST, DispatchStatus.UNCERTAIN)  # fmt: skip

_prepared: set[int] = set()


def _tables() -> dict[str, str]:
    models = {"invoice": Invoice, "customer": Customer, "plan": FollowUpPlan, "step": FollowUpStep,
              "settings": FollowUpSettings, "dispatch": Dispatch, "item": DispatchInvoice}  # fmt: skip
    return {key: model._meta.db_table for key, model in models.items()}


def tenant_organization_ids(organization: Organization) -> list[int]:
    return list(
        Organization.objects.filter(tenant_id=organization.tenant_id).order_by("pk").values_list("pk", flat=True)
    )


def follow_up_setup(organization: Organization, *, force: bool = False) -> dict[str, int]:
    """Plans, steps and settings for the tenant's organizations; `next_follow_up_at` in one UPDATE."""
    if organization.tenant_id in _prepared and not force:
        return {}
    organization_ids = tenant_organization_ids(organization)
    for organization_id in organization_ids:
        FollowUpSettings.objects.get_or_create(organization_id=organization_id)
        for plan in FollowUpPlan.objects.filter(organization_id=organization_id, name__in=PLAN_STEPS):
            for position, name, offset, channel, purpose in PLAN_STEPS[plan.name]:
                FollowUpStep.objects.get_or_create(
                    plan=plan, position=position,
                    defaults={"organization_id": organization_id, "name": name, "offset_days": offset,
                              "channel": channel, "purpose": purpose},
                )  # fmt: skip
    t = _tables()
    first_step = f"""
        UPDATE {t["invoice"]} AS i SET next_follow_up_at = n.at
        FROM (
            SELECT i0.id,
                   CASE WHEN {owed_sql("i0")}
                        THEN ((i0.due_date + s.offset_days) + TIME '09:00') AT TIME ZONE 'Europe/Brussels' END AS at
            FROM {t["invoice"]} AS i0
            JOIN {t["customer"]} AS c ON c.id = i0.customer_id
            LEFT JOIN {t["plan"]} AS d ON d.organization_id = i0.organization_id AND d.is_default
            LEFT JOIN LATERAL (
                SELECT offset_days FROM {t["step"]}
                WHERE plan_id = COALESCE(c.follow_up_plan_id, d.id) ORDER BY position LIMIT 1
            ) AS s ON true
            WHERE i0.organization_id = ANY(%(organizations)s) AND i0.status = 'open'
        ) AS n
        WHERE i.id = n.id AND i.next_follow_up_at IS DISTINCT FROM n.at
    """  # noqa: S608
    not_open = f"""
        UPDATE {t["invoice"]} SET next_follow_up_at = NULL
        WHERE organization_id = ANY(%(organizations)s) AND status <> 'open' AND next_follow_up_at IS NOT NULL
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(first_step, {"organizations": organization_ids})
        scheduled = cursor.rowcount
        cursor.execute(not_open, {"organizations": organization_ids})
        cleared = cursor.rowcount
        if scheduled or cleared:
            # As production's autovacuum would leave it: VACUUM sets the visibility map (index-only scans, e.g.
            # the invoice list's count) after rewriting up to 1M rows; it cannot run inside a transaction.
            cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM (ANALYZE)'} {t['invoice']}")
    _prepared.add(organization.tenant_id)
    return {"scheduled": scheduled, "cleared": cleared}


def nth_due_moment(n: int) -> datetime | None:
    """The `next_follow_up_at` of the n-th open invoice in follow-up order (cross-tenant), or None."""
    due = Invoice.objects.filter(status="open", next_follow_up_at__isnull=False).order_by("next_follow_up_at")
    return due.values_list("next_follow_up_at", flat=True)[n - 1 : n].first()


def bench_day_moment(moment: datetime, countries: tuple[str, ...] = ("BE", "NL", "FR", "DE")) -> datetime:
    """10:00 in Brussels on the first Tuesday-to-Thursday on or after `moment`'s day that is a sending day
    everywhere (and whose day before is one too), so weekend and holiday shifts do not blur the due set."""
    day = moment.astimezone(ZONE).date()
    from reminders.calendar import SendingWindow

    window = SendingWindow(zone=ZONE)

    def clean(candidate: date) -> bool:
        return candidate.weekday() in (1, 2, 3) and all(
            is_sending_day(candidate, window, country)
            and is_sending_day(candidate - timedelta(days=1), window, country)
            for country in countries
        )

    while not clean(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=ZONE)


def due_count(now: datetime) -> int:
    return Invoice.objects.filter(status="open", next_follow_up_at__lte=now).count()


# --- (1) the idle tick -------------------------------------------------------------------------------


@scenario(
    "follow_up.tick_idle",
    "Follow-up tick with nothing due (decide, due deliveries, sweep), all 10 organizations scheduled",
    target_ms=50,
)
def tick_idle(context: BenchContext) -> Outcome:
    from messaging.sweep import sweep

    follow_up_setup(context.organization)
    first = nth_due_moment(1)
    if first is None:
        return Outcome(ok=False, reason="no invoice has a next follow-up: the set-up scheduled nothing")
    now = first - timedelta(minutes=1)
    started = clock.perf_counter()
    decided = decide_due_cross_tenant(now=now)
    ringing = due_dispatch_ids(now=now)
    swept = sweep(now=now)
    elapsed = (clock.perf_counter() - started) * 1000
    if decided or ringing or any(swept.values()):
        return Outcome(ok=False, reason=f"something was due: {len(decided)} decided, {len(ringing)} deliveries")
    scheduled = Invoice.objects.filter(status="open", next_follow_up_at__isnull=False).count()
    return Outcome(elapsed_ms=elapsed, extra={"scheduled_invoices": scheduled})


# --- (2) deciding a busy day -------------------------------------------------------------------------


def due_set_sql() -> str:
    """One statement: the (invoice, step) pairs the engine decides at %(now)s (local day %(today)s).

    Per customer with a due invoice: the carrying invoice is its oldest owed one; the step is the most
    advanced step of the customer's plan (or the default plan) that is due for it and above the level it
    reached, except for a late arrival (no owed invoice of the customer was listed in a follow-up message yet,
    and that step lies past the plan's first reminder after the due date): it gets the plan's late-entry step
    (or that first reminder). Every owed invoice that reached the chosen step's day, below that level, is listed.
    Days count from the due date, or from a late arrival's first message (`schedule_from`). Only owed invoices
    old enough to reach a step today matter: the oldest owed one is among them whenever any step is due (as in
    the engine's statement, `reminders.decide`).
    """
    t = _tables()
    reached = ", ".join(f"'{status}'" for status in REACHED)
    return f"""
    WITH due_customers AS (
        SELECT DISTINCT customer_id FROM {t["invoice"]} WHERE status = 'open' AND next_follow_up_at <= %(now)s
    ), open_invoices AS (
        SELECT i.* FROM {t["invoice"]} AS i JOIN due_customers AS d ON d.customer_id = i.customer_id
        WHERE {under_follow_up_sql("i")}
          AND i.due_date <= %(today)s - (SELECT MIN(offset_days) FROM {t["step"]})  -- younger: no step reached today
    ), levels AS (
        SELECT di.invoice_id, MAX(CASE WHEN x.status IN ({reached}) THEN s.position ELSE 0 END) AS level,
               MAX(x.schedule_from) AS schedule_from
        FROM {t["item"]} AS di JOIN {t["dispatch"]} AS x ON x.id = di.dispatch_id
        JOIN {t["step"]} AS s ON s.id = x.step_id
        WHERE di.invoice_id IN (SELECT id FROM open_invoices)
        GROUP BY di.invoice_id
    ), owed AS (
        SELECT i.id, i.customer_id, i.organization_id, COALESCE(l.schedule_from, i.due_date) AS due_date,
               i.open_amount, COALESCE(l.level, 0) AS level, l.invoice_id IS NOT NULL AS touched,
               row_number() OVER (PARTITION BY i.customer_id ORDER BY i.due_date, i.id) AS rank
        FROM open_invoices AS i LEFT JOIN levels AS l ON l.invoice_id = i.id
    ), fresh AS (
        SELECT customer_id, NOT bool_or(touched) AS fresh FROM owed GROUP BY customer_id
    ), most AS (
        SELECT o.customer_id, o.id AS carrying_id, o.open_amount, s.plan_id, s.id AS step_id, s.position, f.fresh
        FROM owed AS o
        JOIN fresh AS f ON f.customer_id = o.customer_id
        JOIN {t["customer"]} AS c ON c.id = o.customer_id
        JOIN {t["settings"]} AS fs ON fs.organization_id = o.organization_id AND fs.sending_enabled
        LEFT JOIN {t["plan"]} AS d ON d.organization_id = o.organization_id AND d.is_default
        CROSS JOIN LATERAL (
            SELECT s.id, s.plan_id, s.position FROM {t["step"]} AS s
            WHERE s.plan_id = COALESCE(c.follow_up_plan_id, d.id) AND s.position > o.level
              AND (s.min_open_amount IS NULL OR o.open_amount >= s.min_open_amount)
              AND o.due_date + s.offset_days <= %(today)s
            ORDER BY s.position DESC LIMIT 1
        ) AS s
        WHERE o.rank = 1
    ), entries AS (
        SELECT m.customer_id, first.position AS first_position,
               COALESCE(named.position, first.position) AS entry_position
        FROM most AS m JOIN {t["plan"]} AS p ON p.id = m.plan_id
        LEFT JOIN {t["step"]} AS named ON named.id = p.late_entry_step_id
        CROSS JOIN LATERAL (
            SELECT s.position FROM {t["step"]} AS s WHERE s.plan_id = m.plan_id AND s.offset_days > 0
            ORDER BY s.position LIMIT 1
        ) AS first
    ), chosen AS (
        SELECT DISTINCT ON (m.customer_id) m.customer_id, m.carrying_id, s.id AS step_id, s.position, s.offset_days,
               s.min_open_amount
        FROM most AS m LEFT JOIN entries AS e ON e.customer_id = m.customer_id
        CROSS JOIN LATERAL (
            SELECT s.id, s.position, s.offset_days, s.min_open_amount,
                   COALESCE(m.fresh AND m.position > e.first_position AND s.position >= e.entry_position
                            AND (s.min_open_amount IS NULL OR m.open_amount >= s.min_open_amount), FALSE) AS entry
            FROM {t["step"]} AS s WHERE s.plan_id = m.plan_id
        ) AS s
        -- a late arrival's first eligible step from the entry on; otherwise (or none eligible) the most advanced one
        WHERE s.entry OR s.id = m.step_id
        ORDER BY m.customer_id, s.entry DESC, s.position
    )
    SELECT o.id, ch.step_id
    FROM owed AS o JOIN chosen AS ch ON ch.customer_id = o.customer_id
    WHERE o.id = ch.carrying_id OR (
        o.due_date <= %(today)s - ch.offset_days AND o.level < ch.position
        AND (ch.min_open_amount IS NULL OR o.open_amount >= ch.min_open_amount))
    """  # noqa: S608


def sql_pairs(now: datetime) -> tuple[set[tuple[int, int]], float]:
    """The set and the best of SQL_RUNS wall times (ms), fetching every row."""
    best, pairs = float("inf"), set()
    params = {"now": now, "today": now.astimezone(ZONE).date()}
    for _ in range(SQL_RUNS):
        started = clock.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(due_set_sql(), params)
            rows = cursor.fetchall()
        best = min(best, (clock.perf_counter() - started) * 1000)
        pairs = set(rows)
    return pairs, best


def engine_pairs(now: datetime) -> tuple[set[tuple[int, int]], int, float]:
    started = clock.perf_counter()
    decisions = decide_due_cross_tenant(now=now, dry_run=True)
    elapsed = (clock.perf_counter() - started) * 1000
    pairs = {(invoice_id, decision.step.pk) for decision in decisions for invoice_id, _ in decision.listed}
    return pairs, len(decisions), elapsed


@scenario(
    "follow_up.decide_100k",
    "decide_due_cross_tenant(dry_run=True) on a day ~100,000 invoices are due, as a ratio to one SQL "
    "statement computing the same (invoice, step) set (target ratio <= 2x; the time column is the engine's)",
    target_ms=DECIDE_LIMIT_S * 1000,
    runs=1,
    warmups=0,
)
def decide_100k(context: BenchContext) -> Outcome:
    follow_up_setup(context.organization)
    full_at, sample_at = nth_due_moment(DECIDE_DUE), nth_due_moment(DECIDE_SAMPLE)
    if full_at is None or sample_at is None:
        return Outcome(ok=False, reason=f"fewer than {DECIDE_DUE:,} invoices are scheduled")
    now, sample_now = bench_day_moment(full_at), bench_day_moment(sample_at)
    due, sample_due = due_count(now), due_count(sample_now)
    sql_set, sql_ms = sql_pairs(now)
    sample_sql_set, sample_sql_ms = sql_pairs(sample_now)
    sample_set, sample_decisions, sample_ms = engine_pairs(sample_now)
    extra = {"bench_day": now.isoformat(), "due_invoices": due, "pairs": len(sql_set), "sql_ms": round(sql_ms, 1),
             "sample_due": sample_due, "sample_decisions": sample_decisions, "sample_engine_ms": round(sample_ms),
             "sample_sql_ms": round(sample_sql_ms, 1),
             "sample_sets_equal": str(sample_set == sample_sql_set),
             "sample_set_difference": len(sample_set ^ sample_sql_set)}  # fmt: skip
    projected_ms = sample_ms * due / max(sample_due, 1)
    if projected_ms <= DECIDE_LIMIT_S * 1000:
        engine_set, decisions, engine_ms = engine_pairs(now)
        extra |= {"decisions": decisions, "sets_equal": str(engine_set == sql_set),
                  "set_difference": len(engine_set ^ sql_set), "engine": "measured on the full day"}  # fmt: skip
    else:
        engine_ms = projected_ms
        extra["engine"] = f"extrapolated from the {sample_due:,}-invoice sample (full run > {DECIDE_LIMIT_S} s)"
    ratio = engine_ms / sql_ms
    extra |= {"engine_ms": round(engine_ms), "ratio": f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.2f}x"}
    if ratio > 2:
        return Outcome(ok=False, reason=f"engine {ratio:.0f}x the SQL statement (target <= 2x)", extra=extra)
    return Outcome(elapsed_ms=engine_ms, extra=extra)


# --- (2b) the real tick, with writes, while deliveries flow ---------------------------------------------

TICK_LIMIT_S = 30
TICK_DATABASE = "collect_bench_tick"
TICK_DELIVERIES = 2000


@scenario(
    "follow_up.tick_100k",
    f"One real tick (reminders.tasks.tick_run) on the day ~{DECIDE_DUE:,} invoices reach a step: decided, written "
    f"in committed batches and rescheduled while {WORKERS} workers deliver {TICK_DELIVERIES:,} queued e-mails; "
    f"on a throw-away copy of the bench database; target {TICK_LIMIT_S} s",
    target_ms=TICK_LIMIT_S * 1000,
    runs=1,
    warmups=0,
)
def tick_100k(context: BenchContext) -> Outcome:
    import json

    from devtools.bench.database import copy_database, drop_database

    follow_up_setup(context.organization)
    full_at = nth_due_moment(DECIDE_DUE)
    if full_at is None:
        return Outcome(ok=False, reason=f"fewer than {DECIDE_DUE:,} invoices are scheduled")
    now = bench_day_moment(full_at)
    due = due_count(now)
    url = os.environ["DATABASE_URL"]
    connection.close()  # PostgreSQL copies a database only while nobody is connected to it
    copy_url = copy_database(url, TICK_DATABASE)
    try:
        environment = {
            **os.environ,
            "DATABASE_URL": copy_url,
            "REDIS_URL": _redis_url(),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        command = [
            sys.executable,
            "manage.py",
            "bench_tick",
            "--now",
            now.isoformat(),
            "--organization",
            context.organization.slug,
            "--user",
            context.user.email,
            "--deliveries",
            str(TICK_DELIVERIES),
        ]
        # Our own interpreter and manage.py with fixed arguments.
        finished = subprocess.run(  # noqa: S603
            command,
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    finally:
        drop_database(copy_url)
    if finished.returncode != 0 or not finished.stdout.strip():
        return Outcome(ok=False, reason=f"bench_tick failed: {(finished.stderr or finished.stdout)[-400:]}")
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    extra = {"bench_day": now.isoformat(), "due_invoices": due, **report}
    if report["delivered_during_tick"] == 0:
        return Outcome(ok=False, reason="no delivery finished while the tick ran", extra=extra)
    return Outcome(elapsed_ms=report["tick_ms"], extra=extra)


# --- (3, 4) delivery by real workers ------------------------------------------------------------------


@dataclass
class DeliveryRun:
    delivered: int = 0
    finished: int = 0
    seconds: float = 0.0
    per_second: float = 0.0
    peak_mb: dict[str, float] = field(default_factory=dict)  # per process: VmHWM
    worker_peak_mb: list[float] = field(default_factory=list)  # per worker: parent + pool children
    statuses: dict[str, int] = field(default_factory=dict)
    error: str = ""


_delivery: DeliveryRun | None = None


def _redis_url() -> str:
    return f"redis://127.0.0.1:6379/{REDIS_DB}"


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(_redis_url()).flushdb()


def _group_pids(group: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            pids.append(int(entry.name))
    return pids


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _bench_dispatches(organization: Organization, user, count: int) -> list[int]:
    """`count` manual e-mail dispatches, each listing up to three open invoices of a customer with a valid address
    (invoices that direct debit takes care of are left out: a reminder for them is skipped, not sent)."""
    leftovers = Dispatch.objects.filter(organization=organization, manual=True, created_by=user)
    _delete_dispatches(list(leftovers.values_list("pk", flat=True)))
    customers = list(
        Customer.objects.filter(organization=organization, has_valid_email=True, open_balance__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)[: count * 2]  # some have only invoices under direct debit
    )
    invoices: dict[int, list[Invoice]] = {}
    owed = Invoice.objects.filter(customer_id__in=customers, status="open", open_amount__gt=0)
    for invoice in owed.exclude(collection_hold_q()).order_by("customer_id", "due_date", "pk"):
        listed = invoices.setdefault(invoice.customer_id, [])
        if len(listed) < 3:
            listed.append(invoice)
    invoices = dict(list(invoices.items())[:count])
    moment = datetime.now(tz=ZONE) - timedelta(minutes=1)
    dispatches = Dispatch.objects.bulk_create([
        Dispatch(organization=organization, kind=FOLLOW_UP, customer_id=customer_id, invoice=listed[0], manual=True,
                 channel=StepChannel.EMAIL, purpose=TemplatePurpose.REMINDER_1, scheduled_for=moment,
                 next_attempt_at=moment, created_by=user)
        for customer_id, listed in invoices.items()
    ])  # fmt: skip
    DispatchInvoice.objects.bulk_create([
        DispatchInvoice(organization=organization, dispatch=dispatch, invoice=invoice, open_amount=invoice.open_amount)
        for dispatch in dispatches for invoice in invoices[dispatch.customer_id]
    ])  # fmt: skip
    return [dispatch.pk for dispatch in dispatches]


def _delete_dispatches(ids: list[int]) -> None:
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        Task.objects.filter(dispatch_id__in=chunk).delete()
        DeliveryAttempt.objects.filter(dispatch_id__in=chunk).delete()
        DispatchInvoice.objects.filter(dispatch_id__in=chunk).delete()
        Dispatch.objects.filter(pk__in=chunk).delete()


def _start_workers(log_dir: str) -> list[subprocess.Popen]:
    environment = {**os.environ, "REDIS_URL": _redis_url(), "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
                   "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                   "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "collect.settings")}  # fmt: skip
    celery = str(Path(sys.executable).with_name("celery"))
    workers = []
    for number in range(1, WORKERS + 1):
        log = open(Path(log_dir) / f"worker-{number}.log", "w")  # noqa: SIM115 (closed below)
        command = [celery, "-A", "collect", "worker", "--concurrency=1", "--pool=prefork", "--loglevel=WARNING",
                   "-n", f"bench{number}@127.0.0.1", "--without-gossip", "--without-mingle",
                   "--without-heartbeat"]  # fmt: skip
        # Our own interpreter's celery with fixed arguments.
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=environment, stdout=log,  # noqa: S603
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        log.close()  # the child holds its own descriptor
        workers.append(process)
    return workers


def _workers_ready(workers: list[subprocess.Popen]) -> bool:
    """Each worker has forked its pool child (prefork), i.e. it consumes."""
    deadline = clock.monotonic() + WORKER_READY_S
    while clock.monotonic() < deadline:
        if any(worker.poll() is not None for worker in workers):
            return False
        if all(len(_group_pids(worker.pid)) >= 2 for worker in workers):
            clock.sleep(1.0)  # let the consumers connect to the broker
            return True
        clock.sleep(0.2)
    return False


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def delivery_run(context: BenchContext) -> DeliveryRun:
    """Deliver DELIVERIES dispatches with WORKERS real worker processes (measured once per bench run)."""
    global _delivery
    if _delivery is not None:
        return _delivery
    from celery import Celery

    run = DeliveryRun()
    follow_up_setup(context.organization)
    workers: list[subprocess.Popen] = []
    ids: list[int] = []
    peaks: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as log_dir:
        try:
            _flush_redis()
            ids = _bench_dispatches(context.organization, context.user, DELIVERIES)
            workers = _start_workers(log_dir)
            if not _workers_ready(workers):
                logs = " | ".join((Path(log_dir) / f"worker-{n}.log").read_text()[-300:] for n in range(1, WORKERS + 1))
                run.error = f"the workers did not start: {logs}"
                return run
            sender = Celery("bench-sender", broker=_redis_url(), set_as_current=False)
            started = clock.perf_counter()
            with sender.producer_or_acquire() as producer:
                # As the tick rings (reminders.tasks.ring): batches of ids, each dispatch claimed on its own.
                for start in range(0, len(ids), DELIVERY_BATCH):
                    batch = ids[start : start + DELIVERY_BATCH]
                    sender.send_task("reminders.deliver_batch", args=[batch], producer=producer)
            pending = Dispatch.objects.filter(pk__in=ids).exclude(status__in=FINAL)
            deadline = clock.monotonic() + DELIVERY_TIMEOUT_S
            while clock.monotonic() < deadline:
                for worker in workers:
                    for pid in _group_pids(worker.pid):
                        peaks[pid] = max(peaks.get(pid, 0), _status_kb(pid, "VmHWM"))
                if not pending.exists():
                    break
                clock.sleep(0.1)
            run.seconds = clock.perf_counter() - started
            for worker in workers:
                group = _group_pids(worker.pid)
                for pid in group:
                    peaks[pid] = max(peaks.get(pid, 0), _status_kb(pid, "VmHWM"))
                run.worker_peak_mb.append(round(sum(peaks.get(pid, 0) for pid in group) / 1024, 1))
            run.peak_mb = {str(pid): round(kb / 1024, 1) for pid, kb in sorted(peaks.items())}
            statuses = Dispatch.objects.filter(pk__in=ids).values_list("status", flat=True)
            for status in statuses:
                run.statuses[status] = run.statuses.get(status, 0) + 1
            run.finished = sum(count for status, count in run.statuses.items() if status in FINAL)
            run.delivered = run.statuses.get(DispatchStatus.SENT, 0)
            run.per_second = run.delivered / run.seconds if run.seconds else 0.0
        except Exception as error:
            run.error = f"{type(error).__name__}: {str(error)[:300]}"
        finally:
            _stop_workers(workers)
            try:
                _flush_redis()
            finally:
                _delete_dispatches(ids)
                follow_up_setup(context.organization, force=True)  # delivery rescheduled the listed invoices
    _delivery = run
    return run


@scenario(
    "follow_up.deliver_2k",
    f"{DELIVERIES:,} queued manual e-mails delivered by {WORKERS} Celery workers (concurrency 1, Redis, locmem "
    f"backend): wall time; target {DELIVERIES // 200} s = 200 messages/s",
    target_ms=DELIVERIES / 200 * 1000,
    runs=1,
    warmups=0,
)
def deliver_2k(context: BenchContext) -> Outcome:
    run = delivery_run(context)
    if run.error:
        return Outcome(ok=False, reason=run.error)
    extra = {"messages_per_second": round(run.per_second, 1), "sent": run.delivered, "statuses": run.statuses}
    if run.finished < DELIVERIES:
        return Outcome(ok=False, reason=f"only {run.finished} of {DELIVERIES} finished in time", extra=extra)
    return Outcome(elapsed_ms=run.seconds * 1000, extra=extra)


@scenario(
    "follow_up.worker_memory",
    "Peak RSS (VmHWM) of a delivering worker, parent + pool process, in MB (the time columns show MB); target 300 MB",
    target_ms=300,
    runs=1,
    warmups=0,
)
def worker_memory(context: BenchContext) -> Outcome:
    run = delivery_run(context)
    if run.error or not run.worker_peak_mb:
        return Outcome(ok=False, reason=run.error or "no worker was measured")
    extra = {"worker_peak_mb": run.worker_peak_mb, "process_peak_mb": list(run.peak_mb.values())}
    return Outcome(elapsed_ms=max(run.worker_peak_mb), extra=extra)
