"""Celery entry points for imports: they take ids and call one service."""

from __future__ import annotations

import logging

from celery import shared_task

from invoices.batches import import_batch_fail, import_batch_run, import_batches_requeue

logger = logging.getLogger(__name__)

# The largest file (100,000 rows) takes minutes; an import is one transaction and cannot resume halfway.
IMPORT_TIME_LIMIT = 60 * 60


@shared_task(name="invoices.run_import_batch", ignore_result=True, acks_late=True,
             time_limit=IMPORT_TIME_LIMIT + 60, soft_time_limit=IMPORT_TIME_LIMIT)  # fmt: skip
def run_import_batch(batch_id: int) -> None:
    try:
        import_batch_run(batch_id=batch_id)
    except Exception:  # a bug, the time limit, the database: nothing was imported (rolled back); tell the user
        logger.exception("import batch %s stopped", batch_id)
        import_batch_fail(batch_id=batch_id)


@shared_task(name="invoices.sweep_import_batches", ignore_result=True)
def sweep_import_batches() -> None:
    """Hand over confirmed imports whose job vanished (cross-tenant by design)."""
    import_batches_requeue()
