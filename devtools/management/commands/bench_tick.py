"""The measured part of the bench scenario follow_up.tick_100k (devtools/bench/follow_up.py); not for production.

Runs in its own process against a throw-away copy of the bench database (the scenario makes and drops it):
queues `--deliveries` manual e-mails and starts two real Celery workers delivering them, then runs one real tick
(`reminders.tasks.tick_run`: decide and write in committed batches, reschedule, analyze, ring, sweep) at `--now`
while those deliveries flow. Prints one JSON line: the tick's time and counts, and the deliveries finished
before, during and after it.
"""

from __future__ import annotations

import json
import tempfile
import time as clock
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from devtools.bench.follow_up import (
    DELIVERY_BATCH,
    WORKERS,
    _bench_dispatches,
    _flush_redis,
    _redis_url,
    _start_workers,
    _stop_workers,
    _workers_ready,
)
from messaging.models import Dispatch, DispatchStatus
from organizations.models import Organization, User
from reminders.tasks import tick_run


class Command(BaseCommand):
    help = "Bench only: one real follow-up tick at --now while real workers deliver (prints JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--now", required=True, help="ISO date-time with offset: the tick's moment.")
        parser.add_argument("--organization", required=True)
        parser.add_argument("--user", required=True)
        parser.add_argument("--deliveries", type=int, default=2000)

    def handle(self, *args, **options):
        from celery import Celery

        now = datetime.fromisoformat(options["now"])
        organization = Organization.objects.get(slug=options["organization"])
        user = User.objects.get(email=options["user"])
        report: dict = {}
        workers = []
        with tempfile.TemporaryDirectory(prefix="bench-tick-") as log_dir:
            try:
                _flush_redis()
                ids = _bench_dispatches(organization, user, options["deliveries"])
                workers = _start_workers(log_dir)
                if not _workers_ready(workers):
                    logs = " | ".join(path.read_text()[-300:] for path in Path(log_dir).glob("worker-*.log"))
                    raise CommandError(f"the workers did not start: {logs}")
                sender = Celery("bench-tick-sender", broker=_redis_url(), set_as_current=False)
                with sender.producer_or_acquire() as producer:
                    for start in range(0, len(ids), DELIVERY_BATCH):
                        batch = ids[start : start + DELIVERY_BATCH]
                        sender.send_task("reminders.deliver_batch", args=[batch], producer=producer)
                clock.sleep(2.0)  # the workers are delivering when the tick starts
                queued = Dispatch.objects.filter(pk__in=ids)
                sent = queued.filter(status=DispatchStatus.SENT)
                before = sent.count()
                tick_started, started = timezone.now(), clock.perf_counter()
                result = tick_run(now=now)
                seconds = clock.perf_counter() - started
                during = sent.count() - before
                deadline = clock.monotonic() + 120
                while clock.monotonic() < deadline and sent.count() < len(ids):
                    clock.sleep(0.5)
                report = {
                    "tick_ms": round(seconds * 1000),
                    **result,
                    "tick_started": tick_started.isoformat(),
                    "written": Dispatch.objects.filter(created_at__gte=tick_started, manual=False).count(),
                    "deliveries": len(ids),
                    "delivered_before_tick": before,
                    "delivered_during_tick": during,
                    "delivered_per_second_during_tick": round(during / seconds, 1) if seconds else 0,
                    "delivered_in_the_end": sent.count(),
                    "workers": WORKERS,
                }
            finally:
                _stop_workers(workers)
                _flush_redis()
        self.stdout.write(json.dumps(report))
