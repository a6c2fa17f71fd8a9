from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from customers.bulk import register_bulk_action
        from customers.bulk_actions import ASSIGN_ACCOUNT_MANAGER
        from customers.models import Contact, Customer
        from customers.team import CUSTOMERS_WORK
        from organizations.activity import ActivityText, register_activity_labels, register_activity_values, text
        from organizations.team import register_member_work

        register_bulk_action(ASSIGN_ACCOUNT_MANAGER)
        register_member_work(CUSTOMERS_WORK)

        register_activity_values(
            {"action": (_("Action"), _bulk_action_label), "account_manager": (_("Account manager"), text)}
        )
        register_activity_labels(
            {
                "customer.created": ActivityText(_("Customer %(name)s created"), _("Customer created")),
                "customer.updated": ActivityText(_("Customer changed"), model=Customer),
                "contact.created": ActivityText(_("Contact %(contact)s added"), _("Contact added")),
                "contact.updated": ActivityText(_("Contact %(contact)s changed"), _("Contact changed"), model=Contact),
                "contact.deleted": ActivityText(_("Contact %(contact)s removed"), _("Contact removed")),
                "contact.email_bounced": ActivityText(_("E-mail to %(email)s bounced"), _("E-mail address bounced")),
                "customer.account_manager_assigned": ActivityText(
                    _("Account manager set to %(account_manager)s"), _("Account manager removed")
                ),
                "customer.follow_up_plan_assigned": ActivityText(
                    _("Follow-up plan set to %(follow_up_plan)s"), _("Back on the default follow-up plan")
                ),
                "customer.follow_up_paused": ActivityText(_("Follow-up paused until %(until)s"), _("Follow-up paused")),
                "customer.follow_up_resumed": _("Follow-up resumed"),
                "bulk_job.started": ActivityText(_("Bulk action “%(action)s” started"), _("Bulk action started")),
                "bulk_job.done": ActivityText(_("Bulk action “%(action)s” finished"), _("Bulk action finished")),
                "bulk_job.failed": ActivityText(_("Bulk action “%(action)s” failed"), _("Bulk action failed")),
            }
        )


def _bulk_action_label(value, context) -> str:
    from customers.bulk import bulk_action_get

    action = bulk_action_get(str(value))
    return str(action.label) if action else str(value).replace("_", " ")
