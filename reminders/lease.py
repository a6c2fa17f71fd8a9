"""One at a time: a lease that work such as the follow-up tick takes before it starts, or skips when it cannot.

On PostgreSQL a session-level advisory lock (`pg_try_advisory_lock` with a fixed key per lease): the database
releases it when the holder's connection ends, so a worker that dies never blocks the next tick. Elsewhere
(SQLite) a row in `reminders.Lease` with an expiry, taken with a conditional UPDATE.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from reminders.models import Lease

TICK = "reminders.tick"
# The same rule as a delivery claim (reminders.E002): longer than CELERY_TASK_TIME_LIMIT, so a running tick is
# never taken for a dead one.
TICK_TTL = timedelta(seconds=settings.FOLLOW_UP_LEASE_SECONDS)


def advisory_key(name: str) -> int:
    """A fixed 32-bit key per lease name (pg_try_advisory_lock takes a bigint)."""
    return zlib.crc32(f"collect:{name}".encode())


@contextmanager
def lease(name: str, *, ttl: timedelta) -> Iterator[bool]:
    """Yields True while this caller holds the lease, False (at once, without waiting) when another one does."""
    if connection.vendor == "postgresql":
        with _advisory_lock(advisory_key(name)) as held:
            yield held
    else:
        token = row_lease_take(name, ttl=ttl)
        try:
            yield token is not None
        finally:
            if token is not None:
                row_lease_release(name, token=token)


@contextmanager
def _advisory_lock(key: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            _advisory_unlock(key)


def _advisory_unlock(key: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    except DatabaseError:
        # The session is broken (the error that ended the work, a lost connection): ending it frees the lock too.
        connection.close()


def row_lease_take(name: str, *, ttl: timedelta) -> str | None:
    """Take the lease if it is free or expired; returns the holder's token, or None when someone holds it."""
    now = timezone.now()
    Lease.objects.get_or_create(name=name, defaults={"expires_at": now})
    token = uuid.uuid4().hex
    taken = Lease.objects.filter(name=name, expires_at__lte=now).update(holder=token, expires_at=now + ttl)
    return token if taken == 1 else None


def row_lease_release(name: str, *, token: str) -> None:
    Lease.objects.filter(name=name, holder=token).update(holder="", expires_at=timezone.now())
