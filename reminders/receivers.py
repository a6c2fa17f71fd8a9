"""Keep follow-up schedules in step with changes in the layers below. Each receiver calls one service."""

from __future__ import annotations

from django.dispatch import receiver

from customers.signals import customers_changed
from invoices.models import Invoice, InvoiceStatus
from invoices.signals import invoices_changed
from reminders.engine import reschedule


@receiver(invoices_changed)
def reschedule_changed_invoices(sender, invoice_ids, **kwargs) -> None:
    reschedule(invoice_ids=list(invoice_ids))


@receiver(customers_changed)
def reschedule_customers_invoices(sender, customer_ids, **kwargs) -> None:
    open_invoices = Invoice.objects.filter(customer_id__in=list(customer_ids), status=InvoiceStatus.OPEN)
    reschedule(invoice_ids=list(open_invoices.values_list("pk", flat=True)))
