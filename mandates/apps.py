from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MandatesConfig(AppConfig):
    name = "mandates"
    verbose_name = _("SEPA mandates")

    def ready(self) -> None:
        from customers.hooks import customer_mandates, register_filter_choices
        from mandates import receivers  # noqa: F401  (connects the collection hand-over)
        from mandates.messages import PRE_NOTIFICATION_HANDLER, SIGNED_COPY_HANDLER
        from mandates.models import MandateProfile, MandateState, SignatureMethod
        from messaging.kinds import register_kind
        from organizations.activity import (
            ActivityText,
            count,
            date,
            register_activity_labels,
            register_activity_values,
            register_hidden_activity_keys,
            text,
        )

        register_activity_values(
            {
                "collection_date": (_("Collection date"), date),
                "profile": (_("Mandate profile"), text),
                "mandate": (_("Mandate"), text),
                "debits": (_("Debits"), count),
                "reason_code": (_("Return reason"), text),
            }
        )
        register_hidden_activity_keys("batch", "end_to_end_id")
        register_kind(SIGNED_COPY_HANDLER)
        register_filter_choices("profile", _profile_choices)
        customer_mandates.register(_customer_mandates)
        register_kind(PRE_NOTIFICATION_HANDLER)

        states = {"from": MandateState}
        register_activity_labels({
            "mandate_profile.created": ActivityText(
                _("Mandate profile “%(name)s” created"), _("Mandate profile created")
            ),
            "mandate_profile.updated": ActivityText(_("Mandate profile changed"), model=MandateProfile),
            "mandate_profile.archived": _("Mandate profile archived"),
            "mandate_profile.restored": _("Mandate profile restored"),
            "mandate.prepared": ActivityText(_("Mandate %(reference)s prepared"), _("Mandate prepared")),
            "mandate.invited": ActivityText(_("Invited to sign the mandate"), values=states),
            "mandate.opened": ActivityText(_("Signing link opened"), values=states),
            "mandate.signing": ActivityText(_("Signing started"), values=states),
            "mandate.signed": ActivityText(
                _("Mandate signed (%(method)s)"), _("Mandate signed"),
                values={**states, "method": SignatureMethod},
            ),
            "mandate.declined": ActivityText(_("Mandate declined by the debtor"), values=states),
            "mandate.cancelled": ActivityText(_("Mandate cancelled"), values=states),
            "mandate.suspended": ActivityText(_("Mandate suspended"), values=states),
            "mandate.reactivated": ActivityText(_("Mandate reactivated"), values=states),
            "mandate.expired": ActivityText(_("Mandate expired"), values=states),
            "mandate_signed.sent": _("Signed mandate e-mailed to the debtor"),
            "collection.batch_created": ActivityText(
                _("Direct-debit batch of %(total)s created, to collect on %(collection_date)s"),
                _("Direct-debit batch created"),
            ),
            "collection.batch_downloaded": _("Direct-debit file downloaded"),
            "collection.batch_submitted": _("Direct-debit batch submitted to the bank"),
            "collection.batch_paid": ActivityText(
                _("Direct-debit batch marked as paid on %(paid_on)s"), _("Direct-debit batch marked as paid")
            ),
            "collection.batch_cancelled": _("Direct-debit batch cancelled"),
            "invoice.collection_requested": ActivityText(
                _("Direct debit requested for %(collection_date)s"), _("Direct debit requested")
            ),
            "invoice.collection_released": _("Direct debit withdrawn"),
            "invoice.debit_returned": ActivityText(
                _("Direct debit of %(amount)s returned by the bank (%(reason_code)s)"),
                _("Direct debit returned by the bank"),
            ),
            "customer.collection_handover": ActivityText(
                _("Open invoices moved to direct-debit collection under mandate %(mandate)s"),
                _("Open invoices moved to direct-debit collection"),
            ),
            "pre_notification.sent": _("Direct-debit pre-notification sent"),
            "pre_notification.skipped": _("Direct-debit pre-notification not sent"),
            "pre_notification.failed": _("Direct-debit pre-notification failed"),
        })  # fmt: skip


def _profile_choices(organization) -> list[tuple[str, str]]:
    from mandates.models import MandateProfile

    return [(str(profile.pk), profile.name) for profile in MandateProfile.objects.filter(organization=organization)]


def _customer_mandates():
    from django.db.models import OuterRef

    from mandates.models import Mandate

    return Mandate.objects.filter(customer=OuterRef("pk"))
