from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from anymail.signals import tracking

        from collect.outbox import register_message_queue
        from customers.bulk import register_bulk_action
        from customers.hooks import register_customer_follow_up_explainer
        from invoices.hooks import register_follow_up_explainer
        from organizations.activity import register_activity_labels
        from reminders import receivers  # noqa: F401  (connects the schedule receivers)
        from reminders.bulk_actions import ASSIGN_FOLLOW_UP_PLAN, SEND_REMINDER
        from reminders.collection_messages import PRE_NOTIFICATION_HANDLER
        from reminders.engine import explain, explain_customer
        from reminders.kinds import queue, register_kind
        from reminders.mandate_messages import MANDATE_INVITATION, MANDATE_REMINDER
        from reminders.mandate_signed_messages import HANDLER as MANDATE_SIGNED_HANDLER
        from reminders.tracking import on_tracking_event

        tracking.connect(on_tracking_event, dispatch_uid="reminders.tracking")

        register_message_queue(queue)
        register_kind(MANDATE_SIGNED_HANDLER)
        register_kind(PRE_NOTIFICATION_HANDLER)
        register_kind(MANDATE_INVITATION)
        register_kind(MANDATE_REMINDER)
        register_bulk_action(ASSIGN_FOLLOW_UP_PLAN)
        register_bulk_action(SEND_REMINDER)
        register_follow_up_explainer(explain)
        register_customer_follow_up_explainer(explain_customer)
        register_activity_labels({
            "template.saved": _("Message template saved"),
            "template.reset": _("Message template reset to the default"),
            "invoice.reminder_sent": _("Reminder sent"),
            "follow_up.plan_saved": _("Follow-up plan saved"),
            "follow_up.settings_changed": _("Follow-up settings changed"),
            "task.done": _("Task done"),
            "task.reopened": _("Task reopened"),
            "invoice.follow_up_task_created": _("Follow-up task created"),
            "invoice.dispatch_skipped": _("Reminder skipped"),
            "invoice.dispatch_failed": _("Reminder failed"),
            "invoice.dispatch_missed": _("Reminder missed"),
            "invoice.dispatch_test": _("Reminder rendered in test mode"),
            "invoice.dispatch_uncertain": _("Reminder outcome unknown"),
            "invoice.dispatch_fell_back": _("Refused e-mail: the plan's fallback followed"),
            "invoice.reminder_approved": _("Reminder approved for sending"),
            "invoice.reminder_review_skipped": _("Reminder skipped during review"),
            "invoice.reminder_postponed": _("Reminder review postponed"),
            "mandate_invitation.sent": _("Invitation to sign sent"),
            "mandate_invitation.failed": _("Invitation to sign failed"),
            "mandate_invitation.skipped": _("Invitation to sign skipped"),
            "mandate_reminder.sent": _("Reminder to sign sent"),
            "mandate_reminder.failed": _("Reminder to sign failed"),
            "mandate_reminder.skipped": _("Reminder to sign skipped"),
        })  # fmt: skip
