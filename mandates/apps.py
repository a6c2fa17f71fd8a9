from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MandatesConfig(AppConfig):
    name = "mandates"
    verbose_name = _("SEPA mandates")

    def ready(self) -> None:
        from organizations.activity import register_activity_labels

        register_activity_labels({
            "mandate_profile.created": _("Mandate profile created"),
            "mandate_profile.updated": _("Mandate profile changed"),
            "mandate_profile.archived": _("Mandate profile archived"),
            "mandate_profile.restored": _("Mandate profile restored"),
            "mandate.prepared": _("Mandate prepared"),
            "mandate.invited": _("Invited to sign the mandate"),
            "mandate.opened": _("Signing link opened"),
            "mandate.signing": _("Signing started"),
            "mandate.signed": _("Mandate signed"),
            "mandate.declined": _("Mandate declined by the debtor"),
            "mandate.cancelled": _("Mandate cancelled"),
            "mandate.suspended": _("Mandate suspended"),
            "mandate.reactivated": _("Mandate reactivated"),
            "mandate.expired": _("Mandate expired"),
            "mandate_signed.sent": _("Signed mandate e-mailed to the debtor"),
        })  # fmt: skip
