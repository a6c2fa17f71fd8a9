"""The Celery application and the beat schedule.

The broker is a doorbell, not a store: every periodic entry has `expires`, so a backlog after downtime
does not run a burst of stale ticks, and tasks find their work in the database.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

import collect.broker  # noqa: F401 - registers the embedded broker's URL scheme before any connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collect.settings")

app = Celery("collect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Separate queues, so that no kind of work waits behind another: a tick of several minutes never delays the
# deliveries it rang for, and an import of 100,000 rows never delays a tick. A worker started without -Q
# consumes every queue below (the embedded default); production runs a worker per queue (docker-compose.yml).
DEFAULT_QUEUE = "celery"  # the short periodic work: heartbeat, sweepers, campaign reminders, mandate expiry
DECIDE_QUEUE = "decide"  # the follow-up tick: deciding what is due (one at a time, see reminders.tasks.tick)
DELIVER_QUEUE = "deliver"  # delivering dispatches (e-mail, letters, SMS): many short tasks
BULK_QUEUE = "bulk"  # long jobs a person started: imports, bulk actions (invitations, plans), rescheduling
QUEUES = (DEFAULT_QUEUE, DECIDE_QUEUE, DELIVER_QUEUE, BULK_QUEUE)

app.conf.task_default_queue = DEFAULT_QUEUE
app.conf.task_queues = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES]
app.conf.task_routes = {
    "reminders.tick": {"queue": DECIDE_QUEUE},
    "reminders.deliver": {"queue": DELIVER_QUEUE},
    "reminders.deliver_batch": {"queue": DELIVER_QUEUE},
    "invoices.run_import_batch": {"queue": BULK_QUEUE},
    "customers.run_bulk_job": {"queue": BULK_QUEUE},
    "reminders.reschedule_organization": {"queue": BULK_QUEUE},
}

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
