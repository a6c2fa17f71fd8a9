"""A leaving member's open tasks go to the member chosen in the removal dialog (organizations/team.py)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from organizations.models import Membership, Organization
from organizations.selectors import members_list
from organizations.services import Actor, log_actions_many
from organizations.team import MemberWork
from reminders.models import Task, TaskStatus


def open_tasks_count(membership: Membership) -> int:
    return Task.objects.filter(assigned_to=membership, status=TaskStatus.TODO).count()


def task_successors(membership: Membership, organization: Organization) -> QuerySet[Membership]:
    return members_list(organization=organization).exclude(pk=membership.pk)


def tasks_hand_over(*, membership: Membership, successor: Membership | None, actor: Actor) -> int:
    """Open tasks of `membership` (any organization of the tenant) go to `successor`, each logged on its customer."""
    tasks = list(
        Task.objects.filter(assigned_to=membership, status=TaskStatus.TODO).select_related("organization", "customer")
    )
    Task.objects.filter(pk__in=[task.pk for task in tasks]).update(assigned_to=successor)
    log_actions_many(
        [
            {
                "organization": task.organization,
                "subject": task.customer,
                "code": "task.reassigned",
                "actor": actor,
                "data": {
                    "task": task.display_title,
                    "from": str(membership.user),
                    "to": str(successor.user) if successor else None,
                },
            }
            for task in tasks
        ]
    )
    return len(tasks)


TASKS_WORK = MemberWork(
    name="tasks",
    label=_("Their open tasks go to"),
    count=open_tasks_count,
    successors=task_successors,
    hand_over=tasks_hand_over,
    nobody_label=_("Nobody (unassigned)"),
)
