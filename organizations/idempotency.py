"""Idempotency keys of the REST API: claim, complete, release, replay, expire.

A client sends `Idempotency-Key` with a POST. The first request claims the key (an in-progress row, committed
on its own), does the work and completes the row with the response in the work's transaction. A retry with the
same request gets that response back; with another request it is refused; while the first is still working it
is told to retry later. A claim whose request died (the work rolled back with it) is taken over after LEASE.
Keys are kept RETENTION; `idempotency_keys_expire` deletes older ones.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from organizations.models import IdempotencyKey, IdempotencyStatus, Organization

RETENTION = timedelta(hours=24)
LEASE = timedelta(minutes=5)  # far longer than any request may run
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Exception):
    """The key was used with another method, path or body."""


class IdempotencyKeyInProgress(Exception):
    """A request with this key is still being processed."""


class IdempotencyLeaseLost(Exception):
    """Another request took over this claim: this request's work must roll back."""


class IdempotencyReplay(Exception):
    """The key's request completed; answer with its stored response."""

    def __init__(self, record: IdempotencyKey):
        super().__init__(record.key)
        self.record = record


def request_fingerprint(*, method: str, path: str, body_digest: str) -> str:
    return hashlib.sha256(f"{method.upper()}\n{path}\n{body_digest}".encode()).hexdigest()


def idempotency_claim(*, organization: Organization, principal: str, key: str, fingerprint: str) -> IdempotencyKey:
    """Claim `key` for this request, or raise IdempotencyReplay / IdempotencyKeyReused / IdempotencyKeyInProgress."""
    scope = {"organization": organization, "principal": principal, "key": key}
    for _attempt in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    **scope, fingerprint=fingerprint, lease=uuid.uuid4(), locked_at=now, created_at=now
                )
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(**scope).first()
        if existing is None:  # released in between: claim again
            continue
        if existing.created_at <= now - RETENTION:  # expired but not yet swept: the key is free again
            IdempotencyKey.objects.filter(pk=existing.pk, lease=existing.lease).delete()
            continue
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused
        if existing.status == IdempotencyStatus.COMPLETED:
            raise IdempotencyReplay(existing)
        if existing.locked_at <= now - LEASE and _take_over(existing, now):
            return existing
        raise IdempotencyKeyInProgress
    raise IdempotencyKeyInProgress


def _take_over(record: IdempotencyKey, now) -> bool:
    """An abandoned claim: its request died, and its work rolled back with it (work and completion share a
    transaction). Compare-and-swap the lease so that only one retry takes it."""
    lease = uuid.uuid4()
    taken = IdempotencyKey.objects.filter(
        pk=record.pk, lease=record.lease, status=IdempotencyStatus.IN_PROGRESS
    ).update(lease=lease, locked_at=now)
    record.lease, record.locked_at = lease, now
    return taken == 1


def idempotency_complete(*, record: IdempotencyKey, status: int, body: str, headers: dict[str, str]) -> None:
    """Store the response. Inside the work's transaction: if the claim was lost, the work rolls back."""
    completed = IdempotencyKey.objects.filter(
        pk=record.pk, lease=record.lease, status=IdempotencyStatus.IN_PROGRESS
    ).update(status=IdempotencyStatus.COMPLETED, response_status=status, response_body=body, response_headers=headers)
    if completed != 1:
        raise IdempotencyLeaseLost


def idempotency_release(*, record: IdempotencyKey) -> None:
    """Forget the claim (the request failed on our side, 5xx): a retry with the same key does the work."""
    IdempotencyKey.objects.filter(pk=record.pk, lease=record.lease, status=IdempotencyStatus.IN_PROGRESS).delete()


def idempotency_keys_expire(*, now=None) -> int:
    """Across every organization (the sweeper): delete keys older than RETENTION. Returns how many."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
