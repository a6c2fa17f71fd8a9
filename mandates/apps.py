from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MandatesConfig(AppConfig):
    name = "mandates"
    verbose_name = _("SEPA mandates")

    def ready(self) -> None:
        from mandates import receivers  # noqa: F401  (connects the collection hand-over)
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
            "collection.batch_created": _("Direct-debit batch created"),
            "collection.batch_downloaded": _("Direct-debit file downloaded"),
            "collection.batch_submitted": _("Direct-debit batch submitted to the bank"),
            "collection.batch_paid": _("Direct-debit batch marked as paid"),
            "collection.batch_cancelled": _("Direct-debit batch cancelled"),
            "invoice.collection_requested": _("Direct debit requested"),
            "invoice.collection_released": _("Direct debit withdrawn"),
            "invoice.debit_returned": _("Direct debit returned by the bank"),
            "customer.collection_handover": _("Open invoices moved to direct-debit collection"),
            "pre_notification.sent": _("Direct-debit pre-notification sent"),
            "pre_notification.skipped": _("Direct-debit pre-notification not sent"),
            "pre_notification.failed": _("Direct-debit pre-notification failed"),
        })  # fmt: skip
