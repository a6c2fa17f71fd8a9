from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        from organizations.activity import (
            ActivityText,
            count,
            register_activity_labels,
            register_activity_values,
            text,
            yes_no,
        )
        from organizations.models import ApiKeyScope, BankAccount, Membership, Organization, Role

        register_activity_values(
            {
                "scope": (_("Access"), ApiKeyScope),
                "role": (_("Role"), Role),
                "is_account_manager": (_("Account manager"), lambda value, context: yes_no(value)),
                "organizations": (_("Organizations"), text),
                "tasks": (_("Open tasks"), count),
                "customers_to": (_("Customers went to"), text),
                "tasks_to": (_("Open tasks went to"), text),
            }
        )
        register_activity_labels(
            {
                "api_key.created": ActivityText(_("API key “%(name)s” created"), _("API key created")),
                "api_key.revoked": ActivityText(_("API key “%(name)s” revoked"), _("API key revoked")),
                "organization.updated": ActivityText(_("Organization details changed"), model=Organization),
                "organization.sender_verification_sent": ActivityText(
                    _("Verification link sent to the sender address %(email)s"),
                    _("Sender address verification link sent"),
                ),
                "organization.sender_verified": ActivityText(
                    _("Sender address %(email)s verified"), _("Sender address verified")
                ),
                "organization.sender_verification_reset": ActivityText(
                    _("Sender address %(email)s replaced; the new one needs verifying"),
                    _("Sender address changed; verification cleared"),
                ),
                "bank_account.created": ActivityText(
                    _("Bank account %(iban)s added for %(currency)s"), _("Bank account added"), hidden=("bic",)
                ),
                "bank_account.updated": ActivityText(_("Bank account changed"), model=BankAccount),
                "account.two_factor_enabled": _("Two-factor login switched on"),
                "account.two_factor_disabled": _("Two-factor login switched off"),
                "account.two_factor_failed": _("Wrong two-factor code"),
                "account.recovery_code_used": _("Recovery code used to log in"),
                "member.invited": ActivityText(_("%(email)s invited as %(role)s"), _("Member invited")),
                "member.invitation_resent": ActivityText(
                    _("Invitation of %(email)s sent again"), _("Invitation sent again")
                ),
                "member.invitation_revoked": ActivityText(
                    _("Invitation of %(email)s revoked"), _("Invitation revoked")
                ),
                "member.joined": ActivityText(_("%(email)s joined as %(role)s"), _("Member joined")),
                "member.updated": ActivityText(
                    _("Access of %(email)s changed"), _("Member's access changed"), model=Membership
                ),
                "member.removed": ActivityText(_("%(email)s removed from the team"), _("Member removed")),
                "bank_account.deleted": ActivityText(
                    _("Bank account %(iban)s for %(currency)s removed"), _("Bank account removed")
                ),
            }
        )
