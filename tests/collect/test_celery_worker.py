"""The broker really carries work: a real worker thread consumes the heartbeat task."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from collect.celery import BULK_QUEUE, DECIDE_QUEUE, DEFAULT_QUEUE, DELIVER_QUEUE, QUEUES
from collect.celery import app as celery_app
from collect.tasks import HEARTBEAT_CACHE_KEY, heartbeat

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_runs_the_heartbeat_sent_through_the_broker():
    cache.delete(HEARTBEAT_CACHE_KEY)
    with start_worker(celery_app, perform_ping_check=False, pool="solo", concurrency=1, shutdown_timeout=10):
        heartbeat.delay()
        deadline = time.monotonic() + 20
        while cache.get(HEARTBEAT_CACHE_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    assert cache.get(HEARTBEAT_CACHE_KEY) is not None


def test_every_beat_entry_expires():
    assert celery_app.conf.beat_schedule
    for name, entry in celery_app.conf.beat_schedule.items():
        assert entry.get("options", {}).get("expires"), name


def test_a_worker_started_without_queues_consumes_every_queue():
    """The embedded default (and the test workers): one worker runs deciding, delivering and bulk work."""
    with start_worker(celery_app, perform_ping_check=False, pool="solo", concurrency=1, shutdown_timeout=10):
        for queue in QUEUES:
            cache.delete(HEARTBEAT_CACHE_KEY)
            heartbeat.apply_async(queue=queue)
            deadline = time.monotonic() + 20
            while cache.get(HEARTBEAT_CACHE_KEY) is None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert cache.get(HEARTBEAT_CACHE_KEY) is not None, queue


def test_deciding_delivering_and_bulk_work_go_to_queues_of_their_own():
    def queue_of(task: str) -> str:
        return celery_app.amqp.router.route({}, task)["queue"].name

    assert queue_of("reminders.tick") == DECIDE_QUEUE
    assert queue_of("reminders.deliver_batch") == queue_of("reminders.deliver") == DELIVER_QUEUE
    assert queue_of("invoices.run_import_batch") == queue_of("customers.run_bulk_job") == BULK_QUEUE
    assert queue_of("collect.tasks.heartbeat") == DEFAULT_QUEUE
    assert len({DEFAULT_QUEUE, DECIDE_QUEUE, DELIVER_QUEUE, BULK_QUEUE}) == 4


def test_every_queue_has_a_worker_in_production_and_in_development():
    """docker-compose.yml and Procfile.dev: each queue is consumed, deliveries by a worker that does not decide."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    consumed = {}
    for name, service in compose["services"].items():
        command = service.get("command") or []
        if "worker" in command:
            consumed[name] = set(command[command.index("-Q") + 1].split(","))
    assert set().union(*consumed.values()) == set(QUEUES)
    assert all(DECIDE_QUEUE not in queues for queues in consumed.values() if DELIVER_QUEUE in queues)
    procfile = [line.split() for line in (ROOT / "Procfile.dev").read_text().splitlines() if " worker " in line]
    dev = set().union(*(set(words[words.index("-Q") + 1].split(",")) for words in procfile))
    assert dev == set(QUEUES)
