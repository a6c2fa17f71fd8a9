"""Writes for the to-dos on Actions (the `Task` rows); the Celery tasks are in tasks.py."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from organizations.services import Actor, log_action
from reminders.models import Task, TaskStatus


@transaction.atomic
def task_set_done(*, task: Task, done: bool, actor: Actor) -> Task:
    task.status = TaskStatus.DONE if done else TaskStatus.TODO
    task.done_at = timezone.now() if done else None
    task.save(update_fields=["status", "done_at"])
    log_action(
        organization=task.organization,
        subject=task.customer,
        code="task.done" if done else "task.reopened",
        actor=actor,
        data={"task": task.title, "task_code": task.title_code, "params": task.title_params},
    )
    return task
