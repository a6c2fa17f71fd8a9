from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from customers.bulk import register_bulk_action
        from customers.bulk_actions import ASSIGN_ACCOUNT_MANAGER
        from organizations.activity import register_activity_labels

        register_bulk_action(ASSIGN_ACCOUNT_MANAGER)

        register_activity_labels(
            {
                "customer.created": _("Customer created"),
                "customer.updated": _("Customer changed"),
                "contact.created": _("Contact added"),
                "contact.updated": _("Contact changed"),
                "contact.deleted": _("Contact removed"),
                "contact.email_bounced": _("E-mail address bounced"),
                "customer.account_manager_assigned": _("Account manager assigned"),
                "customer.follow_up_plan_assigned": _("Follow-up plan assigned"),
                "customer.follow_up_paused": _("Follow-up paused"),
                "customer.follow_up_resumed": _("Follow-up resumed"),
                "bulk_job.started": _("Bulk action started"),
                "bulk_job.done": _("Bulk action finished"),
                "bulk_job.failed": _("Bulk action failed"),
            }
        )
