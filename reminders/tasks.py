"""Celery entry points of the follow-up engine: they take ids (or nothing) and call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from reminders.delivery import deliver_one, sweep
from reminders.engine import decide_due_cross_tenant, due_dispatch_ids


@shared_task(name="reminders.tick", ignore_result=True)
def tick() -> None:
    """Every minute (beat, with expires): decide what is due, ring the doorbell for deliveries, sweep."""
    now = timezone.now()
    decide_due_cross_tenant(now=now)
    for dispatch_id in due_dispatch_ids(now=now):
        deliver.delay(dispatch_id)
    sweep(now=now)


@shared_task(name="reminders.deliver", ignore_result=True, acks_late=True)
def deliver(dispatch_id: int) -> None:
    deliver_one(dispatch_id=dispatch_id)


@shared_task(name="reminders.reschedule_organization", ignore_result=True)
def reschedule_organization_task(organization_id: int) -> None:
    from organizations.models import Organization
    from reminders.engine import reschedule_organization

    reschedule_organization(organization=Organization.objects.get(pk=organization_id))
