"""Celery entry points of the follow-up engine: they take ids (or nothing) and call one service."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from collect.bulk_insert import analyze_after_bulk_write
from reminders.decide import decide_due_cross_tenant
from reminders.delivery import deliver_many, deliver_one, sweep
from reminders.engine import due_dispatch_ids
from reminders.lease import TICK, TICK_TTL, lease
from reminders.models import Dispatch, DispatchInvoice

logger = logging.getLogger(__name__)

# Dispatch ids per delivery message: one broker round trip and task start for this many e-mails, small enough that
# both workers get a share of a busy minute and that a batch ends well within the task time limit.
DELIVERY_BATCH = 20


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


def ring(dispatch_ids: list[int]) -> None:
    """The doorbell: the ids in batches of DELIVERY_BATCH (the database, not the broker, says what is queued)."""
    for start in range(0, len(dispatch_ids), DELIVERY_BATCH):
        deliver_batch.delay(dispatch_ids[start : start + DELIVERY_BATCH])


@shared_task(name="reminders.deliver", ignore_result=True, acks_late=True)
def deliver(dispatch_id: int) -> None:
    deliver_one(dispatch_id=dispatch_id, reload=False)


@shared_task(name="reminders.deliver_batch", ignore_result=True, acks_late=True)
def deliver_batch(dispatch_ids: list[int]) -> None:
    """Deliver these as one batch (reminders.delivery.deliver_many): one claim for all of them; an id another
    worker holds, or one already delivered by an earlier copy of this message (redelivered after a crash), is
    simply not claimed."""
    deliver_many(dispatch_ids=dispatch_ids)


@shared_task(name="reminders.reschedule_organization", ignore_result=True)
def reschedule_organization_task(organization_id: int) -> None:
    from organizations.models import Organization
    from reminders.engine import reschedule_organization

    reschedule_organization(organization=Organization.objects.get(pk=organization_id))
