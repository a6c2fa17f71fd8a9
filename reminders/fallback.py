"""What follows when a step's e-mail is refused for good, and who gets the tasks a step creates.

Kept apart from reminders/delivery.py so the delivery path only asks two questions: "which fallback, with
which task title?" and "to whom does this task go?".
"""

from __future__ import annotations

from organizations.models import Membership
from organizations.selectors import members_list
from organizations.services import log_action
from reminders.models import Dispatch, FallbackChannel
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
