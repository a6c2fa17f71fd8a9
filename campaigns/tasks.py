"""Celery entry points for campaigns: the beat's automatic reminders of unsigned invitations."""

from __future__ import annotations

from celery import shared_task

from campaigns.services import reminders_send_due_cross_tenant


@shared_task(name="campaigns.send_due_reminders", ignore_result=True)
def send_due_reminders() -> None:
    """Cross-tenant: queue the reminders whose `next_reminder_at` has passed (the outbox delivers them)."""
    reminders_send_due_cross_tenant()
