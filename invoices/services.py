"""Writes for invoices and payments. Amounts are Decimals; every change is logged."""

from __future__ import annotations

import copy
import dataclasses
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.stats import customers_refresh_stats
from invoices import references
from invoices.ledger import Contribution, ledger_apply, ledger_apply_many
from invoices.models import INVOICE_TRANSITIONS, Invoice, InvoiceStatus, Payment, PaymentMethod
from invoices.signals import invoices_changed
from localized.money import format_money
from organizations.models import Organization
from organizations.services import Actor, log_action, log_actions_many

INVOICE_FIELDS = (
    "customer",
    "number",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "pdf",
    "payment_reference",
)


@dataclass
class _Effects:
    """What changed invoices still need, gathered while `invoice_effects_batched` is active."""

    ledger: list[tuple[Contribution | None, Contribution | None]] = dataclasses.field(default_factory=list)
    customer_ids: set[int] = dataclasses.field(default_factory=set)
    invoice_ids: list[int] = dataclasses.field(default_factory=list)


_batched: ContextVar[_Effects | None] = ContextVar("invoice_effects", default=None)


@contextmanager
def invoice_effects_batched():
    """Inside one transaction that writes many invoices (an import): the receivables ledger, the customers'
    figures and the follow-up schedules are brought up to date once, at the end, for every invoice written,
    instead of after each one (which cost ~20 ms per invoice). On an error nothing is flushed: the caller's
    transaction rolls back anyway."""
    effects = _Effects()
    token = _batched.set(effects)
    try:
        yield
    finally:
        _batched.reset(token)
    ledger_apply_many(effects.ledger)
    customers_refresh_stats(customer_ids=effects.customer_ids)
    if effects.invoice_ids:
        invoices_changed.send(sender=Invoice, invoice_ids=effects.invoice_ids)


def _after_change(before: Contribution | None, invoice: Invoice, *, customer_ids: list[int]) -> None:
    """The ledger, the customers' figures and (through `invoices_changed`) the follow-up schedule."""
    effects = _batched.get()
    if effects is not None:
        effects.ledger.append((before, Contribution.of(invoice)))
        effects.customer_ids.update(customer_ids)
        effects.invoice_ids.append(invoice.pk)
        return
    ledger_apply(before, Contribution.of(invoice))
    customers_refresh_stats(customer_ids=customer_ids)
    invoices_changed.send(sender=Invoice, invoice_ids=[invoice.pk])


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


def invoice_new(*, organization: Organization, customer: Customer, **data: Any) -> Invoice:
    """The unsaved invoice `invoice_create` would write, with its defaults; raises ValidationError as it would."""
    if customer.organization_id != organization.pk:
        raise ValidationError({"customer": _("This customer belongs to another organization.")})
    fields = {key: value for key, value in data.items() if key in INVOICE_FIELDS and key != "customer"}
    fields.setdefault("open_amount", fields["amount"])
    fields.setdefault("currency", organization.currency)
    fields["payment_reference"] = _clean_reference(fields.get("payment_reference", ""))
    _validate_amounts(fields["amount"], fields["open_amount"])
    _validate_dates(fields["issue_date"], fields["due_date"])
    status = _status_for_open_amount(InvoiceStatus.OPEN, fields["open_amount"])
    return Invoice(organization=organization, customer=customer, status=status, **fields)


def _clean_reference(value: str) -> str:
    try:
        return references.clean(value)
    except ValidationError as error:
        raise ValidationError({"payment_reference": error.messages}) from error


def _check_reference_free(organization: Organization, reference: str, *, exclude_id: int | None = None) -> None:
    taken = Invoice.objects.filter(organization=organization, payment_reference=reference).exclude(pk=exclude_id)
    if reference and taken.exists():
        raise ValidationError({"payment_reference": _("Another invoice already has this payment reference.")})


def _assign_references(organization: Organization, invoices: list[Invoice]) -> None:
    """Give invoices without a payment reference the generated one: one UPDATE per thousand invoices, the same
    value computed in the database (`reference_expression`) as in Python (`generate`).

    A generated reference another invoice already has (one an import or the API brought) is replaced by a free
    variant (`references.variants`), so the generated numbers never break uniqueness."""
    reference_format = organization.reference_format
    missing = [invoice for invoice in invoices if not invoice.payment_reference]
    if reference_format == references.NONE or not missing:
        return
    for start in range(0, len(missing), 1000):
        chunk = {
            references.generate(reference_format, invoice.pk): invoice for invoice in missing[start : start + 1000]
        }
        taken = set(_references_taken(organization, list(chunk)))
        Invoice.objects.filter(pk__in=[invoice.pk for ref, invoice in chunk.items() if ref not in taken]).update(
            payment_reference=references.reference_expression(reference_format)
        )
        for reference, invoice in chunk.items():
            if reference in taken:
                reference = _free_variant(organization, reference_format, invoice.pk)
                Invoice.objects.filter(pk=invoice.pk).update(payment_reference=reference)
            invoice.payment_reference = reference


def _references_taken(organization: Organization, candidates: list[str]) -> list[str]:
    found = Invoice.objects.filter(organization=organization, payment_reference__in=candidates)
    return list(found.values_list("payment_reference", flat=True))


def _free_variant(organization: Organization, reference_format: str, invoice_id: int) -> str:
    variants = references.variants(reference_format, invoice_id)
    taken = set(_references_taken(organization, variants))
    return next((variant for variant in variants if variant not in taken), "")


def _insert_checked(invoice: Invoice) -> None:
    """Insert; another request that took the same number or reference since the checks gets a field error (the
    unique constraint decides the race), not a server error."""
    try:
        with transaction.atomic():
            invoice.save(force_insert=True)
    except IntegrityError as error:
        if "payment_reference" in str(error):
            message = _("Another invoice already has this payment reference.")
            raise ValidationError({"payment_reference": message}) from error
        if "number" in str(error):
            raise ValidationError({"number": _("Another invoice already has this number.")}) from error
        raise


@transaction.atomic
def invoice_create(*, organization: Organization, customer: Customer, actor: Actor = None, **data: Any) -> Invoice:
    invoice = invoice_new(organization=organization, customer=customer, **data)
    _check_reference_free(organization, invoice.payment_reference)
    _insert_checked(invoice)
    _assign_references(organization, [invoice])
    log_action(organization=organization, subject=invoice, code="invoice.created", actor=actor,
               data=_created_data(invoice))  # fmt: skip
    _after_change(None, invoice, customer_ids=[customer.pk])
    return invoice


@transaction.atomic
def invoices_create_many(*, organization: Organization, invoices: list[Invoice], actor: Actor = None) -> list[Invoice]:
    """Write many invoices made by `invoice_new` (an import): the same rows and activity entries as
    `invoice_create`, in a few statements per thousand. Inside `invoice_effects_batched`, their ledger, figures
    and schedules follow at its end."""
    for invoice in invoices:
        if invoice.organization_id != organization.pk or invoice.customer.organization_id != organization.pk:
            raise ValidationError({"customer": _("This customer belongs to another organization.")})
    supplied = [invoice.payment_reference for invoice in invoices if invoice.payment_reference]
    if (
        len(set(supplied)) != len(supplied)
        or Invoice.objects.filter(organization=organization, payment_reference__in=supplied).exists()
    ):
        raise ValidationError({"payment_reference": _("Another invoice already has this payment reference.")})
    Invoice.objects.bulk_create(invoices, batch_size=1000)
    _assign_references(organization, invoices)
    log_actions_many([{"organization": organization, "subject": invoice, "code": "invoice.created", "actor": actor,
                       "data": _created_data(invoice)} for invoice in invoices])  # fmt: skip
    for invoice in invoices:
        _after_change(None, invoice, customer_ids=[invoice.customer_id])
    return invoices


def _created_data(invoice: Invoice) -> dict[str, str]:
    return {"number": invoice.number, "amount": str(invoice.amount), "currency": invoice.currency}


@transaction.atomic
def invoice_update(*, invoice: Invoice, actor: Actor = None, **data: Any) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    before = Contribution.of(invoice)
    previous_customer_id = invoice.customer_id
    previous_pdf = invoice.pdf.name
    changes = _apply_changes(invoice, data)
    if changes:
        invoice.save()
        _drop_replaced_pdf(invoice, previous_pdf)
        log_action(organization=invoice.organization, subject=invoice, code="invoice.updated", actor=actor,
                   data={"changes": changes})  # fmt: skip
    _after_change(before, invoice, customer_ids=[previous_customer_id, invoice.customer_id])
    return invoice


@transaction.atomic
def invoices_update_many(
    *, organization: Organization, updates: list[tuple[Invoice, dict[str, Any]]], actor: Actor = None
) -> list[Invoice]:
    """Many `invoice_update`s in a few statements (an import): the invoices are locked together, changed and
    checked as `invoice_update` does, saved in bulk and logged in one statement. A refused change raises
    ValidationError with `position`, the index of the update in `updates`; nothing of the call is kept."""
    locked = (
        Invoice.objects.select_for_update()
        .filter(organization=organization)
        .in_bulk([invoice.pk for invoice, _data in updates])
    )
    changed, entries, fields = [], [], {"updated_at"}
    now = timezone.now()
    for position, (invoice, data) in enumerate(updates):
        current = locked.get(invoice.pk)
        if current is None:
            error = ValidationError(_("This invoice belongs to another organization."))
            error.position = position
            raise error
        before, previous_customer_id = Contribution.of(current), current.customer_id
        try:
            changes = _apply_changes(current, data)
        except ValidationError as error:
            error.position = position
            raise
        if changes:
            current.updated_at = now
            changed.append(current)
            fields.update(changes)
            entries.append({"organization": organization, "subject": current, "code": "invoice.updated",
                            "actor": actor, "data": {"changes": changes}})  # fmt: skip
        _after_change(before, current, customer_ids=[previous_customer_id, current.customer_id])
    if changed:
        Invoice.objects.bulk_update(changed, sorted(fields), batch_size=500)
    log_actions_many(entries)
    return [locked[invoice.pk] for invoice, _data in updates]


def invoice_changes(invoice: Invoice, data: dict[str, Any]) -> dict[str, list[str]]:
    """The changes `invoice_update` would make with this data ({field: [old, new]}); nothing is changed. A result
    it would refuse counts as a change (`invalid`)."""
    try:
        return _apply_changes(copy.copy(invoice), data)  # a model's copy has its own field cache
    except ValidationError as error:
        return {"invalid": [" ".join(error.messages), ""]}


def _drop_replaced_pdf(invoice: Invoice, previous: str) -> None:
    """A replaced PDF leaves the storage once the new one is committed (a rollback keeps the old one)."""
    if previous and previous != invoice.pdf.name:
        storage = invoice.pdf.storage
        transaction.on_commit(lambda: storage.delete(previous))


def _apply_changes(invoice: Invoice, data: dict[str, Any]) -> dict[str, list[str]]:
    """Set the given fields on the invoice, check the result and follow the open amount with the status.

    Returns the changes ({field: [old, new]}); raises ValidationError for a result `invoice_update` refuses."""
    changes = {}
    for name in INVOICE_FIELDS:
        if name in data and getattr(invoice, name) != data[name]:
            changes[name] = [str(getattr(invoice, name)), str(data[name])]
            setattr(invoice, name, data[name])
    if "payment_reference" in changes:
        invoice.payment_reference = _clean_reference(invoice.payment_reference)
        if invoice.payment_reference == changes["payment_reference"][0]:
            del changes["payment_reference"]
        else:
            changes["payment_reference"][1] = invoice.payment_reference
            _check_reference_free(invoice.organization, invoice.payment_reference, exclude_id=invoice.pk)
    if "customer" in changes and invoice.customer.organization_id != invoice.organization_id:
        raise ValidationError({"customer": _("This customer belongs to another organization.")})
    _validate_amounts(invoice.amount, invoice.open_amount)
    _validate_dates(invoice.issue_date, invoice.due_date)
    new_status = _status_for_open_amount(invoice.status, invoice.open_amount)
    if new_status != invoice.status:
        changes["status"] = [invoice.status, new_status]
        invoice.status = new_status
    return changes


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
    _after_change(before, invoice, customer_ids=[invoice.customer_id])
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
                % {
                    "amount": format_money(amount, invoice.currency),
                    "open": format_money(invoice.open_amount, invoice.currency),
                }
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
            "currency": invoice.currency,
            "paid_on": paid_on.isoformat(),
            "method": method,
            "reference": reference,
            "open_amount": str(invoice.open_amount),
            "status": invoice.status,
        },
    )
    _after_change(before, invoice, customer_ids=[invoice.customer_id])
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
        data={"amount": str(payment.amount), "currency": invoice.currency, "paid_on": payment.paid_on.isoformat(),
              "method": payment.method,
              "reference": payment.reference, "reason": reason, "open_amount": str(invoice.open_amount),
              "status": invoice.status},
    )  # fmt: skip
    payment.delete()
    _after_change(before, invoice, customer_ids=[invoice.customer_id])
    return invoice
