from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        from organizations.activity import ActivityText, register_activity_labels, register_activity_values
        from organizations.models import ApiKeyScope, Organization

        register_activity_values({"scope": (_("Access"), ApiKeyScope)})
        register_activity_labels({
            "api_key.created": ActivityText(_("API key “%(name)s” created"), _("API key created")),
            "api_key.revoked": ActivityText(_("API key “%(name)s” revoked"), _("API key revoked")),
            "organization.updated": ActivityText(_("Organization details changed"), model=Organization),
            "organization.sender_verification_sent": ActivityText(
                _("Verification link sent to the sender address %(email)s"), _("Sender address verification link sent")
            ),
            "organization.sender_verified": ActivityText(
                _("Sender address %(email)s verified"), _("Sender address verified")
            ),
            "organization.sender_verification_reset": ActivityText(
                _("Sender address %(email)s replaced; the new one needs verifying"),
                _("Sender address changed; verification cleared"),
            ),
        })  # fmt: skip
