"""What follows when a step's e-mail is refused for good, and the tasks a message opens for a person.

The follow-up kinds (reminders/follow_up_messages.py) ask "which fallback, with which task title?"; every kind's
questions for a person (gave up, check whether it arrived, bounced: messaging/people.py) land here as tasks, one
per dispatch, for the step's member or the customer's account manager.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import override

from messaging.models import Dispatch, FallbackChannel
from organizations.models import Membership
from organizations.selectors import members_list
from organizations.services import log_action
from reminders.models import Task, TaskStatus
from reminders.task_titles import TaskTitle
from reminders.task_titles import task_title as make_title


def plan_fallback(dispatch: Dispatch) -> str:
    """The fallback of the plan the dispatch's step belongs to; a manual message falls back to a task."""
    if dispatch.step_id is None:
        return FallbackChannel.TASK
    return dispatch.step.plan.fallback_channel or FallbackChannel.TASK


def fall_back(dispatch: Dispatch, *, task_title: TaskTitle) -> tuple[str, TaskTitle | None]:
    """Record the fallback on the dispatch; returns it and the title of the task to open (None: no task).

    `task_title` is what a person must do when the fallback is a task (find a valid address, …).
    """
    channel = plan_fallback(dispatch)
    title: TaskTitle | None = task_title
    if channel == FallbackChannel.LETTER:
        # Until the postal integration lands, a person posts the letter; the title says so plainly.
        title = make_title("post_letter_instead", customer=dispatch.customer)
    elif channel == FallbackChannel.NONE:
        title = None
    Dispatch.objects.filter(pk=dispatch.pk).update(fell_back_to=channel)
    dispatch.fell_back_to = channel
    if dispatch.invoice_id:
        log_action(organization=dispatch.organization, subject=dispatch.invoice, code="invoice.dispatch_fell_back",
                   data={"dispatch": dispatch.pk, "fallback": channel})  # fmt: skip
    return channel, title


def task_assignee(dispatch: Dispatch) -> Membership | None:
    """The step's chosen member while they still reach the organization, else the customer's account manager."""
    step = dispatch.step
    reachable = members_list(organization=dispatch.organization)
    if step is not None and step.assignee_id and reachable.filter(pk=step.assignee_id).exists():
        return step.assignee
    return dispatch.customer.account_manager


def fall_back_with_task(dispatch: Dispatch, title: TaskTitle) -> None:
    """A permanent refusal: the plan's fallback follows, a task unless it is "nothing"."""
    _channel, title = fall_back(dispatch, task_title=title)
    if title:
        open_task(dispatch, title)


def open_task(dispatch: Dispatch, title: TaskTitle) -> Task:
    """The dispatch's task for a person (at most one per dispatch), for the step's member or the account manager."""
    with override(dispatch.organization.default_language):
        text = str(title)[:200]
    task, _created = Task.objects.get_or_create(
        dispatch=dispatch,
        defaults={
            "organization": dispatch.organization,
            "customer": dispatch.customer,
            "invoice": dispatch.invoice,
            "title": text,
            "title_code": title.code,
            "title_params": title.params,
            "assigned_to": task_assignee(dispatch),
            "due_on": timezone.localdate(timezone=dispatch.organization.zone),
        },
    )
    return task


class TaskDesk:
    """The outbox's questions for a person, as tasks (registered in RemindersConfig.ready)."""

    def ask(self, dispatch: Dispatch, code: str, *, newest: bool = False, **params) -> None:
        title = make_title(code, customer=dispatch.customer, **params)
        task = open_task(dispatch, title)
        if newest and (task.title_code, task.title_params) != (title.code, title.params):
            # The dispatch already had a task (one per dispatch), e.g. "check whether it arrived": this question
            # is the newer news, and someone has to act on it.
            with override(dispatch.organization.default_language):
                text = str(title)[:200]
            Task.objects.filter(pk=task.pk).update(
                title=text, title_code=title.code, title_params=title.params, status=TaskStatus.TODO, done_at=None
            )

    def answered(self, dispatch: Dispatch) -> None:
        from reminders.todos import task_set_done

        task = Task.objects.filter(dispatch=dispatch).first()
        if task is not None and task.status == TaskStatus.TODO:
            task_set_done(task=task, done=True, actor=None)
