"""Writes for invoices and payments. Amounts are Decimals; every change is logged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.stats import customers_refresh_stats
from invoices.ledger import Contribution, ledger_apply
from invoices.models import INVOICE_TRANSITIONS, Invoice, InvoiceStatus, Payment, PaymentMethod
from invoices.signals import invoices_changed
from organizations.models import Organization
from organizations.services import Actor, log_action

INVOICE_FIELDS = ("customer", "number", "issue_date", "due_date", "amount", "open_amount", "currency", "pdf")


def _validate_amounts(amount: Decimal, open_amount: Decimal) -> None:
    if amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    if open_amount < 0 or open_amount > amount:
        raise ValidationError({"open_amount": _("The open amount must be between 0 and the invoice amount.")})


def _validate_dates(issue_date: date, due_date: date) -> None:
    if due_date < issue_date:
        raise ValidationError({"due_date": _("The due date cannot be before the issue date.")})


def _status_for_open_amount(current: str, open_amount: Decimal) -> str:
    if open_amount == 0 and current in (InvoiceStatus.OPEN, InvoiceStatus.DISPUTED):
        return InvoiceStatus.PAID
    if open_amount > 0 and current == InvoiceStatus.PAID:
        return InvoiceStatus.OPEN
    return current


@transaction.atomic
def invoice_create(*, organization: Organization, customer: Customer, actor: Actor = None, **data: Any) -> Invoice:
    if customer.organization_id != organization.pk:
        raise ValidationError({"customer": _("This customer belongs to another organization.")})
    fields = {key: value for key, value in data.items() if key in INVOICE_FIELDS and key != "customer"}
    fields.setdefault("open_amount", fields["amount"])
    fields.setdefault("currency", organization.currency)
    _validate_amounts(fields["amount"], fields["open_amount"])
    _validate_dates(fields["issue_date"], fields["due_date"])
    status = _status_for_open_amount(InvoiceStatus.OPEN, fields["open_amount"])
    invoice = Invoice.objects.create(organization=organization, customer=customer, status=status, **fields)
    log_action(
        organization=organization,
        subject=invoice,
        code="invoice.created",
        actor=actor,
        data={"number": invoice.number, "amount": str(invoice.amount), "currency": invoice.currency},
    )
    ledger_apply(None, Contribution.of(invoice))
    customers_refresh_stats(customer_ids=[customer.pk])
    invoices_changed.send(sender=Invoice, invoice_ids=[invoice.pk])
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice, actor: Actor = None, **data: Any) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    before = Contribution.of(invoice)
    previous_customer_id = invoice.customer_id
    changes = {}
    for field in INVOICE_FIELDS:
        if field in data and getattr(invoice, field) != data[field]:
            changes[field] = [str(getattr(invoice, field)), str(data[field])]
            setattr(invoice, field, data[field])
    if "customer" in changes and invoice.customer.organization_id != invoice.organization_id:
        raise ValidationError({"customer": _("This customer belongs to another organization.")})
    _validate_amounts(invoice.amount, invoice.open_amount)
    _validate_dates(invoice.issue_date, invoice.due_date)
    new_status = _status_for_open_amount(invoice.status, invoice.open_amount)
    if new_status != invoice.status:
        changes["status"] = [invoice.status, new_status]
        invoice.status = new_status
    if changes:
        invoice.save()
        log_action(
            organization=invoice.organization,
            subject=invoice,
            code="invoice.updated",
            actor=actor,
            data={"changes": changes},
        )
    ledger_apply(before, Contribution.of(invoice))
    customers_refresh_stats(customer_ids=[previous_customer_id, invoice.customer_id])
    invoices_changed.send(sender=Invoice, invoice_ids=[invoice.pk])
    return invoice


@transaction.atomic
def invoice_change_status(*, invoice: Invoice, status: str, reason: str = "", actor: Actor = None) -> Invoice:
    """Dispute, resolve, credit or write off an invoice, following INVOICE_TRANSITIONS."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    before = Contribution.of(invoice)
    if status == invoice.status:
        return invoice
    if status not in INVOICE_TRANSITIONS[invoice.status]:
        raise ValidationError(
            {
                "status": _("An invoice that is %(old)s cannot become %(new)s.")
                % {"old": InvoiceStatus(invoice.status).label, "new": InvoiceStatus(status).label}
            }
        )
    if status == InvoiceStatus.OPEN and invoice.open_amount == 0:
        raise ValidationError({"status": _("Nothing is owed on this invoice; record a refund first.")})
    old = invoice.status
    invoice.status = status
    if status in (InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF):
        invoice.open_amount = Decimal("0")
    invoice.save(update_fields=["status", "open_amount", "updated_at"])
    log_action(
        organization=invoice.organization,
        subject=invoice,
        code=f"invoice.{status}",
        actor=actor,
        data={"from": old, "to": status, "reason": reason},
    )
    ledger_apply(before, Contribution.of(invoice))
    customers_refresh_stats(customer_ids=[invoice.customer_id])
    invoices_changed.send(sender=Invoice, invoice_ids=[invoice.pk])
    return invoice


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    paid_on: date,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    actor: Actor = None,
) -> Payment:
    """Record a (partial) payment: lowers the open amount; the invoice is paid when it reaches zero."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    before = Contribution.of(invoice)
    if amount <= 0:
        raise ValidationError({"amount": _("A payment must be more than zero.")})
    if invoice.status in (InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF, InvoiceStatus.PAID):
        raise ValidationError(
            {
                "invoice": _("This invoice is %(status)s; nothing is owed.")
                % {"status": InvoiceStatus(invoice.status).label}
            }
        )
    if amount > invoice.open_amount:
        raise ValidationError(
            {
                "amount": _("The payment of %(amount)s is more than the open amount of %(open)s.")
                % {"amount": amount, "open": invoice.open_amount}
            }
        )
    payment = Payment.objects.create(
        organization=invoice.organization,
        invoice=invoice,
        amount=amount,
        paid_on=paid_on,
        method=method,
        reference=reference,
    )
    invoice.open_amount -= amount
    invoice.status = _status_for_open_amount(invoice.status, invoice.open_amount)
    invoice.save(update_fields=["open_amount", "status", "updated_at"])
    log_action(
        organization=invoice.organization,
        subject=invoice,
        code="invoice.payment_recorded",
        actor=actor,
        data={
            "amount": str(amount),
            "paid_on": paid_on.isoformat(),
            "method": method,
            "reference": reference,
            "open_amount": str(invoice.open_amount),
            "status": invoice.status,
        },
    )
    ledger_apply(before, Contribution.of(invoice))
    customers_refresh_stats(customer_ids=[invoice.customer_id])
    invoices_changed.send(sender=Invoice, invoice_ids=[invoice.pk])
    return payment


@transaction.atomic
def invoice_pause_follow_up(*, invoice: Invoice, paused: bool, reason: str = "", actor: Actor = None) -> Invoice:
    """Take an invoice out of automatic follow-up (or put it back); reminders re-check this at send time."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.follow_up_paused == paused:
        return invoice
    invoice.follow_up_paused = paused
    invoice.follow_up_paused_reason = reason[:300] if paused else ""
    invoice.save(update_fields=["follow_up_paused", "follow_up_paused_reason", "updated_at"])
    code = "invoice.follow_up_paused" if paused else "invoice.follow_up_resumed"
    log_action(organization=invoice.organization, subject=invoice, code=code, actor=actor, data={"reason": reason})
    invoices_changed.send(sender=Invoice, invoice_ids=[invoice.pk])
    return invoice


PAYMENT_EDITABLE_FIELDS = ("method", "reference")


@transaction.atomic
def payment_update(*, payment: Payment, actor: Actor = None, **data: Any) -> Payment:
    """Correct how or with which reference a payment came in; amount, date and invoice stay as recorded."""
    changes = {name: [str(getattr(payment, name)), str(value)] for name, value in data.items()
               if name in PAYMENT_EDITABLE_FIELDS and getattr(payment, name) != value}  # fmt: skip
    if changes:
        for name in changes:
            setattr(payment, name, data[name])
        payment.save(update_fields=list(changes))
        log_action(organization=payment.organization, subject=payment.invoice, code="invoice.payment_updated",
                   actor=actor, data={"payment": payment.pk, "changes": changes})  # fmt: skip
    return payment


@transaction.atomic
def payment_reverse(*, payment: Payment, reason: str = "", actor: Actor = None) -> Invoice:
    """Undo a payment that did not hold (a direct debit the bank returned): the amount is owed again.

    The payment row is removed and the open amount restored (a paid invoice opens again); the activity log
    keeps what was reversed and why, so the history stays complete.
    """
    invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
    before = Contribution.of(invoice)
    invoice.open_amount = min(invoice.open_amount + payment.amount, invoice.amount)
    invoice.status = _status_for_open_amount(invoice.status, invoice.open_amount)
    invoice.save(update_fields=["open_amount", "status", "updated_at"])
    log_action(
        organization=invoice.organization, subject=invoice, code="invoice.payment_reversed", actor=actor,
        data={"amount": str(payment.amount), "paid_on": payment.paid_on.isoformat(), "method": payment.method,
              "reference": payment.reference, "reason": reason, "open_amount": str(invoice.open_amount),
              "status": invoice.status},
    )  # fmt: skip
    payment.delete()
    ledger_apply(before, Contribution.of(invoice))
    customers_refresh_stats(customer_ids=[invoice.customer_id])
    invoices_changed.send(sender=Invoice, invoice_ids=[invoice.pk])
    return invoice
