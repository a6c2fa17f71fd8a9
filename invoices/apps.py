from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Invoices")

    def ready(self) -> None:
        from organizations.activity import register_activity_labels

        register_activity_labels(
            {
                "invoice.created": _("Invoice created"),
                "invoice.updated": _("Invoice changed"),
                "invoice.payment_recorded": _("Payment recorded"),
                "invoice.payment_updated": _("Payment changed"),
                "invoice.payment_reversed": _("Payment reversed"),
                "invoice.disputed": _("Marked as disputed"),
                "invoice.open": _("Reopened"),
                "invoice.paid": _("Marked as paid"),
                "invoice.credited": _("Credited"),
                "invoice.written_off": _("Written off"),
                "invoice.pdf_downloaded": _("PDF downloaded"),
                "invoice.follow_up_paused": _("Follow-up paused"),
                "invoice.follow_up_resumed": _("Follow-up resumed"),
                "import.confirmed": _("Import confirmed"),
                "import.completed": _("Import completed"),
                "import.failed": _("Import not completed"),
                "import.cancelled": _("Import cancelled"),
                "export.downloaded": _("Export downloaded"),
            }
        )
