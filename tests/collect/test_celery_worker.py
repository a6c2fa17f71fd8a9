"""The broker really carries work: a real worker thread consumes the heartbeat task."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from collect.celery import app as celery_app
from collect.tasks import HEARTBEAT_CACHE_KEY, heartbeat

pytestmark = pytest.mark.smoke


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
