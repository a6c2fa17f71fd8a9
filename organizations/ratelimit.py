"""A small fixed-window rate limit on Django's cache (shared between processes when the cache is Redis)."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str | None:
    header = settings.CLIENT_IP_HEADER
    if header and request.META.get(header):
        # The proxy appends the address it saw; earlier entries are whatever the client claimed.
        return request.META[header].split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def allow(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one request for `key`; False once more than `limit` happened in the current window."""
    bucket = int(time.time() // window)
    cache_key = f"ratelimit:{scope}:{hashlib.sha256(key.encode()).hexdigest()[:32]}:{bucket}"
    if cache.add(cache_key, 1, timeout=window):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        return True
    return count <= limit
