from __future__ import annotations

from celery import shared_task

from organizations.idempotency import idempotency_keys_expire


@shared_task(name="organizations.expire_idempotency_keys")
def expire_idempotency_keys() -> int:
    """Delete API idempotency keys older than 24 hours, of every organization."""
    return idempotency_keys_expire()
