"""Celery entry points of the outbox: they take ids and call one service.

The task names keep their first names ("reminders.deliver…"): messages already on the broker when a new
version starts are still understood.
"""

from __future__ import annotations

from celery import shared_task

from messaging.delivery import deliver_many, deliver_one

# Dispatch ids per delivery message: one broker round trip and task start for this many e-mails, small enough that
# both workers get a share of a busy minute and that a batch ends well within the task time limit.
DELIVERY_BATCH = 20


def ring(dispatch_ids: list[int]) -> None:
    """The doorbell: the ids in batches of DELIVERY_BATCH (the database, not the broker, says what is queued)."""
    for start in range(0, len(dispatch_ids), DELIVERY_BATCH):
        deliver_batch.delay(dispatch_ids[start : start + DELIVERY_BATCH])


@shared_task(name="reminders.deliver", ignore_result=True, acks_late=True)
def deliver(dispatch_id: int) -> None:
    deliver_one(dispatch_id=dispatch_id, reload=False)


@shared_task(name="reminders.deliver_batch", ignore_result=True, acks_late=True)
def deliver_batch(dispatch_ids: list[int]) -> None:
    """Deliver these as one batch (messaging.delivery.deliver_many): one claim for all of them; an id another
    worker holds, or one already delivered by an earlier copy of this message (redelivered after a crash), is
    simply not claimed."""
    deliver_many(dispatch_ids=dispatch_ids)
