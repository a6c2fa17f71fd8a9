from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Invoices")

    def ready(self) -> None:
        from invoices.models import ImportKind, Invoice, InvoiceStatus, Payment, PaymentMethod
        from organizations.activity import (
            ActivityText,
            register_activity_labels,
            register_activity_values,
            register_hidden_activity_keys,
            text,
        )

        register_activity_values(
            {
                "method": (_("Payment method"), PaymentMethod),
                "status": (_("Status"), InvoiceStatus),
                "kind": (_("Kind"), ImportKind),
                "number": (_("Invoice number"), lambda value, context: str(value)),
                "mentioned": (_("Mentioned"), text),
            }
        )
        register_hidden_activity_keys("note_id")
        statuses = {"from": InvoiceStatus, "to": InvoiceStatus}
        register_activity_labels(
            {
                "invoice.created": ActivityText(_("Invoice %(number)s created for %(amount)s"), _("Invoice created")),
                "invoice.updated": ActivityText(_("Invoice changed"), model=Invoice),
                "invoice.payment_recorded": ActivityText(
                    _("Payment of %(amount)s recorded (%(method)s, paid on %(paid_on)s)"), _("Payment recorded")
                ),
                "invoice.payment_updated": ActivityText(_("Payment changed"), model=Payment),
                "invoice.payment_reversed": ActivityText(
                    _("Payment of %(amount)s from %(paid_on)s reversed"), _("Payment reversed")
                ),
                "invoice.disputed": ActivityText(_("Marked as disputed"), values=statuses, hidden=("to",)),
                "invoice.open": ActivityText(_("Reopened"), values=statuses, hidden=("to",)),
                "invoice.paid": ActivityText(_("Marked as paid"), values=statuses, hidden=("to",)),
                "invoice.credited": ActivityText(_("Credited"), values=statuses, hidden=("to",)),
                "invoice.written_off": ActivityText(_("Written off"), values=statuses, hidden=("to",)),
                "invoice.pdf_downloaded": _("PDF downloaded"),
                "note.added": ActivityText(_("Note: %(note)s"), _("Note added")),
                "invoice.follow_up_paused": _("Follow-up paused"),
                "invoice.follow_up_resumed": _("Follow-up resumed"),
                "import.confirmed": ActivityText(_("Import of %(file)s confirmed"), _("Import confirmed")),
                "import.completed": ActivityText(_("Import of %(file)s completed"), _("Import completed")),
                "import.failed": ActivityText(_("Import of %(file)s not completed"), _("Import not completed")),
                "import.cancelled": ActivityText(_("Import of %(file)s cancelled"), _("Import cancelled")),
                "export.downloaded": ActivityText(_("Export downloaded (%(format)s)"), _("Export downloaded")),
            }
        )
