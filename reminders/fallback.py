"""What follows when a step's e-mail is refused for good, and who gets the tasks a step creates.

Kept apart from reminders/delivery.py so the delivery path only asks two questions: "which fallback, with
which task title?" and "to whom does this task go?".
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from organizations.models import Membership
from organizations.selectors import members_list
from organizations.services import log_action
from reminders.models import Dispatch, FallbackChannel


def plan_fallback(dispatch: Dispatch) -> str:
    """The fallback of the plan the dispatch's step belongs to; a manual message falls back to a task."""
    if dispatch.step_id is None:
        return FallbackChannel.TASK
    return dispatch.step.plan.fallback_channel or FallbackChannel.TASK


def fall_back(dispatch: Dispatch, *, task_title: str) -> tuple[str, str | None]:
    """Record the fallback on the dispatch; returns it and the title of the task to open (None: no task).

    `task_title` is what a person must do when the fallback is a task (find a valid address, …).
    """
    channel = plan_fallback(dispatch)
    title: str | None = task_title
    if channel == FallbackChannel.LETTER:
        # Until the postal integration lands, a person posts the letter; the title says so plainly.
        title = _("Send a letter by post to %(customer)s (the e-mail was refused; postal sending is not "
                  "connected yet, so post it yourself)") % {"customer": dispatch.customer}  # fmt: skip
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
