"""Settings for the test suite: base settings with fast hashing and an in-memory mail outbox."""

from __future__ import annotations

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

from collect.settings.base import *  # noqa: F403
from collect.settings.base import REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="collect-test-media-")
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # A Redis database per test process: a test's cache.clear() empties the whole database (FLUSHDB), which must
    # not reset another process's counters mid-test. 13 and 15 belong to the benchmark and the exactly-once tests.
    _worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    _cache_db = (8, 9, 10, 11, 12, 14)[_worker % 6]
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{_cache_db}"))}}  # fmt: skip
# The database-backed mail store is the embedded default; tests use it so they see what users see.
EMAIL_BACKEND = "mailroom.backends.DatabaseEmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "100000/min"}}  # noqa: F405
STATIC_ROOT = tempfile.mkdtemp(prefix="collect-test-static-")
# Embedded broker for tests that start a real worker without Redis; never the developer's var/ folder.
if not REDIS_URL:
    _broker_dir = tempfile.mkdtemp(prefix="collect-test-broker-")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "control_folder": _broker_dir,
        "store_processed": False,
    }
