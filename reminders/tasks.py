"""Celery entry points of the follow-up engine: they take ids (or nothing) and call one service.

The outbox's own tasks (deliver, deliver_batch) live in messaging/tasks.py."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from messaging.delivery import due_dispatch_ids
from messaging.models import Dispatch, DispatchInvoice
from messaging.sweep import sweep
from messaging.tasks import ring
from reminders.decide import decide_due_cross_tenant
from reminders.lease import TICK, TICK_TTL, lease
from tabular.bulk_insert import analyze_after_bulk_write

logger = logging.getLogger(__name__)


@shared_task(name="reminders.tick", ignore_result=True)
def tick() -> dict:
    """Every minute (beat, with expires): decide what is due, ring the doorbell for deliveries, sweep.

    One tick at a time: a tick that finds another still running (a busy day can take minutes) skips at once
    instead of deciding the same invoices alongside it and taking a second worker; the next minute's tick goes on.
    """
    with lease(TICK, ttl=TICK_TTL) as held:
        if not held:
            logger.info("Follow-up tick skipped: another tick is still running")
            return {"skipped": True, "reason": "another tick is still running"}
        return {"skipped": False, **tick_run(now=timezone.now())}


def tick_run(*, now: datetime) -> dict:
    """One tick's work: decide (written in batches that commit as they go), analyze what grew, ring, sweep."""
    decided = decide_due_cross_tenant(now=now)
    analyze_after_bulk_write([Dispatch, DispatchInvoice], rows=len(decided))
    rung = due_dispatch_ids(now=now)
    ring(rung)
    sweep(now=now)
    return {"decided": len(decided), "rung": len(rung)}


@shared_task(name="reminders.reschedule_organization", ignore_result=True)
def reschedule_organization_task(organization_id: int) -> None:
    from organizations.models import Organization
    from reminders.engine import reschedule_organization

    reschedule_organization(organization=Organization.objects.get(pk=organization_id))
