"""The Celery application and the beat schedule.

The broker is a doorbell, not a store: every periodic entry has `expires`, so a backlog after downtime
does not run a burst of stale ticks, and tasks find their work in the database.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collect.settings")

app = Celery("collect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {
        "task": "collect.tasks.heartbeat",
        "schedule": crontab(),  # every minute
        "options": {"expires": 50},
    },
    "follow-up-tick": {
        "task": "reminders.tick",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
    "expire-mandates": {
        "task": "mandates.expire",
        "schedule": crontab(minute=17, hour=3),  # daily, at a quiet hour
        "options": {"expires": 3600},
    },
    "sweep-bulk-jobs": {
        "task": "customers.sweep_bulk_jobs",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
    "sweep-import-batches": {
        "task": "invoices.sweep_import_batches",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
    "expire-idempotency-keys": {
        "task": "organizations.expire_idempotency_keys",
        "schedule": crontab(minute=7),  # hourly: keys live 24 hours, a little longer is harmless
        "options": {"expires": 3000},
    },
    "campaign-reminders": {
        "task": "campaigns.send_due_reminders",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
}
