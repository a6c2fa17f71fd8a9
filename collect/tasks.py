"""Operational tasks: the beat heartbeat that /healthz reports."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "collect:heartbeat:worker"


@shared_task(name="collect.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Record that beat scheduled and a worker ran a task; /healthz shows how long ago."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=24 * 3600)
