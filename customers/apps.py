from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from organizations.activity import register_activity_labels

        register_activity_labels(
            {
                "customer.created": _("Customer created"),
                "customer.updated": _("Customer changed"),
                "contact.created": _("Contact added"),
                "contact.updated": _("Contact changed"),
                "contact.deleted": _("Contact removed"),
                "contact.email_bounced": _("E-mail address bounced"),
            }
        )
