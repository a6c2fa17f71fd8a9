from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from customers.bulk import register_bulk_action
        from customers.hooks import register_customer_follow_up_explainer, register_filter_choices
        from invoices.hooks import has_default_follow_up_plan, register_follow_up_explainer
        from messaging.kinds import register_kind
        from messaging.models import FallbackChannel, StepChannel, TemplatePurpose
        from messaging.people import register_desk
        from organizations.activity import (
            ActivityText,
            register_activity_labels,
            register_activity_values,
            register_hidden_activity_keys,
            text,
        )
        from organizations.team import register_member_work
        from reminders import receivers  # noqa: F401  (connects the schedule receivers)
        from reminders.bulk_actions import ASSIGN_FOLLOW_UP_PLAN, SEND_REMINDER
        from reminders.engine import explain, explain_customer
        from reminders.fallback import TaskDesk
        from reminders.follow_up_messages import FOLLOW_UP_HANDLER, MANUAL_HANDLER
        from reminders.models import FollowUpSettings
        from reminders.team import TASKS_WORK

        register_desk(TaskDesk())
        register_kind(FOLLOW_UP_HANDLER)
        register_kind(MANUAL_HANDLER)
        register_member_work(TASKS_WORK)
        register_activity_labels(
            {"task.reassigned": ActivityText(_("Task “%(task)s” handed to %(to)s"), _("Task reassigned"))}
        )
        register_bulk_action(ASSIGN_FOLLOW_UP_PLAN)
        register_bulk_action(SEND_REMINDER)
        register_follow_up_explainer(explain)
        register_filter_choices("follow_up_plan", _plan_choices)
        has_default_follow_up_plan.register(_has_default_plan)
        register_customer_follow_up_explainer(explain_customer)
        register_activity_values(
            {
                "purpose": (_("Message"), TemplatePurpose),
                "fallback": (_("Fallback"), FallbackChannel),
                "channel": (_("Channel"), StepChannel),
                "step": (_("Step"), text),
                "steps": (_("Steps"), text),
                "task": (_("Task"), text),
                "follow_up_plan": (_("Follow-up plan"), text),
            }
        )
        register_hidden_activity_keys("dispatch", "task_code", "params")
        register_activity_labels({
            "template.saved": ActivityText(
                _("Message template “%(purpose)s” saved in %(language)s"), _("Message template saved")
            ),
            "template.reset": ActivityText(
                _("Message template “%(purpose)s” in %(language)s reset to the default"),
                _("Message template reset to the default"),
            ),
            "invoice.reminder_sent": ActivityText(_("Reminder sent: %(step)s"), _("Reminder sent")),
            "follow_up.plan_saved": ActivityText(_("Follow-up plan “%(name)s” saved"), _("Follow-up plan saved")),
            "follow_up.settings_changed": ActivityText(_("Follow-up settings changed"), model=FollowUpSettings),
            "task.done": ActivityText(_("Task done: %(task)s"), _("Task done"), prepare=_task_title),
            "task.reopened": ActivityText(_("Task reopened: %(task)s"), _("Task reopened"), prepare=_task_title),
            "invoice.follow_up_task_created": ActivityText(
                _("Follow-up task created: %(step)s"), _("Follow-up task created")
            ),
            "invoice.dispatch_skipped": _("Reminder skipped"),
            "invoice.dispatch_failed": _("Reminder failed"),
            "invoice.dispatch_missed": _("Reminder missed"),
            "invoice.dispatch_test": _("Reminder rendered in test mode"),
            "invoice.dispatch_uncertain": _("Reminder outcome unknown"),
            "invoice.dispatch_fell_back": ActivityText(
                _("E-mail refused: the plan's fallback followed (%(fallback)s)"),
                _("Refused e-mail: the plan's fallback followed"),
            ),
            "invoice.reminder_approved": _("Reminder approved for sending"),
            "invoice.reminder_review_skipped": _("Reminder skipped during review"),
            "invoice.reminder_postponed": _("Reminder review postponed"),
            "invoice.reminder_overtaken": ActivityText(
                _("Reminder awaiting approval overtaken by %(by)s; not sent"), _("Reminder overtaken by a later one")
            ),
        })  # fmt: skip


def _plan_choices(organization) -> list[tuple[str, str]]:
    from reminders.models import FollowUpPlan

    return [(str(plan.pk), plan.name) for plan in FollowUpPlan.objects.filter(organization=organization)]


def _has_default_plan(organization) -> bool:
    from reminders.models import FollowUpPlan

    return FollowUpPlan.objects.filter(organization=organization, is_default=True).exists()


def _task_title(data):
    """A task entry names the task in the reader's language when it was stored as a code."""
    from reminders.task_titles import render_task_title

    title = render_task_title(data.get("task_code", ""), data.get("params"), fallback=data.get("task", ""))
    return {**data, "task": title}
