"""Invoices owed by customers, and the payments that settle them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from invoices import references
from organizations.models import Membership, Organization


class InvoiceStatus(models.TextChoices):
    OPEN = "open", _("Open")  # something is still owed
    PAID = "paid", _("Paid")  # the open amount reached zero through payments
    CREDITED = "credited", _("Credited")  # cancelled by a credit note; nothing owed
    DISPUTED = "disputed", _("Disputed")  # the customer contests it; follow-up stops until resolved
    WRITTEN_OFF = "written_off", _("Written off")  # given up as uncollectable


# Allowed status changes, in one place. Payments drive OPEN/DISPUTED -> PAID themselves.
INVOICE_TRANSITIONS: dict[str, set[str]] = {
    InvoiceStatus.OPEN: {
        InvoiceStatus.PAID,
        InvoiceStatus.CREDITED,
        InvoiceStatus.DISPUTED,
        InvoiceStatus.WRITTEN_OFF,
    },
    InvoiceStatus.DISPUTED: {
        InvoiceStatus.OPEN,
        InvoiceStatus.PAID,
        InvoiceStatus.CREDITED,
        InvoiceStatus.WRITTEN_OFF,
    },
    InvoiceStatus.PAID: {InvoiceStatus.OPEN},
    InvoiceStatus.CREDITED: set(),
    InvoiceStatus.WRITTEN_OFF: {InvoiceStatus.OPEN},
}


def invoice_pdf_path(invoice: Invoice, filename: str) -> str:
    # Media paths carry the organization so files of different tenants never share a folder. The name is
    # generated: an invoice number is the tenant's text ("2026/07/1", "..") and must not shape the path.
    return f"organizations/{invoice.organization_id}/invoices/{uuid.uuid4().hex}.pdf"


class Invoice(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(_("number"), max_length=64)
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    open_amount = models.DecimalField(_("open amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    status = models.CharField(_("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    pdf = models.FileField(_("PDF"), upload_to=invoice_pdf_path, blank=True)
    # What the debtor quotes with a transfer (invoices.references), compact: `090933755493` (shown
    # +++090/9337/55493+++) or `RF18539007547034`. Empty when the organization uses none.
    payment_reference = models.CharField(_("payment reference"), max_length=25, blank=True)
    # Follow-up: the engine (reminders app) records what it sent; a person can pause this invoice.
    follow_up_paused = models.BooleanField(_("follow-up paused"), default=False)
    follow_up_paused_reason = models.CharField(_("reason for the pause"), max_length=300, blank=True)
    # Set while a direct debit for this invoice is requested (mandates' collection batches): follow-up skips it.
    collection_requested_at = models.DateTimeField(_("collection requested"), null=True, blank=True)
    follow_up_level = models.PositiveSmallIntegerField(_("follow-up level"), default=0)
    last_follow_up_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    # When the follow-up engine next has something to do for this invoice (reminders.engine keeps it).
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="invoice_number_per_organization"),
            models.UniqueConstraint(
                fields=["organization", "payment_reference"],
                condition=~Q(payment_reference=""),
                name="invoice_payment_reference_per_organization",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoice_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(open_amount__gte=0) & Q(open_amount__lte=F("amount")),
                name="invoice_open_amount_within_amount",
            ),
            models.CheckConstraint(condition=~Q(due_date__lt=F("issue_date")), name="invoice_due_after_issue"),
        ]
        indexes = [
            models.Index(fields=["organization", "due_date", "id"], name="invoice_by_due_date"),
            models.Index(fields=["organization", "customer", "status"], name="invoice_by_customer"),
            models.Index(fields=["organization", "status", "due_date"], name="invoice_by_status"),
            # What is due, per organization: the tick probes each organization and reads its due customers.
            models.Index(
                fields=["organization", "next_follow_up_at"], condition=Q(status="open"), name="invoice_follow_up_due"
            ),
        ]

    # Statuses in which the customer still owes the open amount.
    OWED_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.DISPUTED)

    def __str__(self) -> str:
        return self.number

    @property
    def paid_amount(self):
        return self.amount - self.open_amount

    @property
    def payment_reference_display(self) -> str:
        return references.display(self.payment_reference)


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")  # credit transfer received
    DIRECT_DEBIT = "direct_debit", _("Direct debit")  # collected through a SEPA mandate
    CARD = "card", _("Card")  # card or online payment
    CASH = "cash", _("Cash")  # paid in cash
    OTHER = "other", _("Other")  # anything else (offset, settlement)


class Payment(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(
        _("method"), max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        indexes = [
            models.Index(fields=["organization", "invoice"], name="payment_by_invoice"),
            # Cash collected per month (reports, dashboard): the organization's payments of a period.
            models.Index(fields=["organization", "paid_on"], name="payment_by_day"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.paid_on}"


class ReceivablesDay(models.Model):
    """Per organization, currency and day: open amounts by due date and invoiced amounts by issue date.

    Kept in step by the invoice services (invoices.ledger), so the dashboard's aging, overdue and DSO
    read a few hundred rows instead of a million invoices. `ledger_rebuild` recomputes it from invoices.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    day = models.DateField()
    open_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)  # owed, due on this day
    open_count = models.IntegerField(default=0)
    invoiced_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)  # issued on this day
    invoiced_count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "currency", "day"], name="receivables_day_once")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.currency} {self.day}"


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")  # one row per customer, matched by external reference
    INVOICES = "invoices", _("Invoices")  # one row per invoice, matched by number


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")  # uploaded and checked; nothing written yet
    IMPORTING = "importing", _("Importing")  # confirmed; a background job writes the rows in one transaction
    IMPORTED = "imported", _("Imported")  # the confirmed rows were written in one transaction
    CANCELLED = "cancelled", _("Cancelled")  # the user dropped it; the stored file is deleted


def import_file_path(batch: ImportBatch, filename: str) -> str:
    # Random name under the organization's folder: uploads of different tenants never share a folder,
    # and the user's file name (kept on the row) never becomes a path.
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return f"organizations/{batch.organization_id}/imports/{uuid.uuid4().hex}{suffix}"


class ImportBatch(models.Model):
    """An uploaded customer or invoice file, kept between the preview and the user's confirmation."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="import_batches")
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    original_filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=import_file_path, max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    # Counts, problems and the first rows as checked at upload (and again at confirmation), then what was imported.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    # What the user confirmed, for the background job: skip the invalid rows? how many rows were on the button?
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    expected_rows = models.PositiveIntegerField(_("rows confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by_key = models.ForeignKey(
        "organizations.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # When the job was last handed to a worker, and how often: the sweeper hands over a job that vanished.
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    runs = models.PositiveSmallIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="import_batch_by_created"),
            models.Index(fields=["queued_at"], condition=Q(status="importing"), name="import_batch_importing"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_filename}"


class Note(models.Model):
    """A staff note on a customer, or on one of its invoices (then `customer` is the invoice's customer).

    Members named with @ in the text are in `mentions` and get an e-mail (invoices/notes.py).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="notes")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="staff_notes")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200, blank=True)  # who wrote it: a member, or an API key's name
    body = models.TextField(_("note"), max_length=5000)
    mentions = models.ManyToManyField(Membership, blank=True, related_name="+", verbose_name=_("mentioned"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "customer", "-created_at"], name="note_by_customer"),
            models.Index(fields=["organization", "invoice", "-created_at"], name="note_by_invoice"),
        ]

    def __str__(self) -> str:
        return self.body[:60]
