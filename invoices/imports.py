"""Invoices from a spreadsheet, and invoices to one: the row schema, validation, apply and export rows.

A row is matched to an existing invoice by number inside the organization and updated; otherwise it
creates one. `customer_ref` names a customer of the same organization by external reference. An empty
`open_amount` means "nothing paid yet" for a new invoice and "unchanged" for an existing one; an empty
`currency` means the organization's currency, or unchanged. An empty `payment_reference` gives a new invoice
the generated one (invoices.references) and leaves an existing invoice's as it is; a given one must be valid and
not used by another invoice.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from invoices import references
from invoices.models import Invoice, InvoiceStatus
from invoices.services import (
    invoice_changes,
    invoice_effects_batched,
    invoice_new,
    invoices_create_many,
    invoices_update_many,
)
from organizations.models import Organization
from organizations.services import Actor
from tabular.importing import PlannedRow, Progress, RowApplyError, RowCleaner, RowImporter, chunked
from tabular.reading import Table, cell_text

INVOICE_COLUMNS = (
    "number",
    "customer_ref",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "payment_reference",
)
INVOICE_EXPORT_COLUMNS = (*INVOICE_COLUMNS, "status")
REQUIRED_COLUMNS = ("number", "customer_ref", "issue_date", "due_date", "amount")
CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")
# Their open amount is zero by decision, not by payments; an import must not reopen them silently.
SETTLED_BY_DECISION = (InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF)


CHUNK = 500  # invoices written per round of statements


@dataclass
class InvoiceRow:
    number: str
    fields: dict[str, Any]  # for invoice_create / invoice_update
    customer: Customer | None = None
    invoice: Invoice | None = None  # the existing invoice with this number


@dataclass
class _Lookups:
    existing: dict[str, Invoice]
    customers: dict[str, Customer]
    # payment reference (compact) -> number of the invoice that has it, or of the row that brings it
    references: dict[str, str] = dataclasses.field(default_factory=dict)


class InvoiceImporter(RowImporter):
    kind = "invoices"
    columns = INVOICE_COLUMNS
    required = REQUIRED_COLUMNS
    key = "number"
    duplicate_message = gettext_lazy("Row %(row)s already has this invoice number.")

    def existing(self, data):
        return data.invoice

    def changes_something(self, data: InvoiceRow) -> bool:
        return bool(invoice_changes(data.invoice, data.fields))

    def _lookups(self, organization: Organization, table: Table) -> _Lookups:
        def keys(column: str) -> list[str]:
            return sorted({cell_text(row.values.get(column)) for row in table.rows} - {""})

        existing, customers = {}, {}
        for part in chunked(keys("number")):
            found = Invoice.objects.filter(organization=organization, number__in=part).select_related("customer")
            existing.update({invoice.number: invoice for invoice in found})
        for part in chunked(keys("customer_ref")):
            found = Customer.objects.filter(organization=organization, external_ref__in=part)
            customers.update({customer.external_ref: customer for customer in found})
        lookups = _Lookups(existing=existing, customers=customers)
        for part in chunked(sorted({references.normalize(key) for key in keys("payment_reference")} - {""})):
            found = Invoice.objects.filter(organization=organization, payment_reference__in=part)
            lookups.references.update(found.values_list("payment_reference", "number"))
        return lookups

    def _clean(self, cleaner: RowCleaner, lookups: _Lookups) -> InvoiceRow:
        number = cleaner.text("number", max_length=64, required=True) or ""
        data = InvoiceRow(number=number, fields={"number": number}, invoice=lookups.existing.get(number))
        reference = cleaner.text("customer_ref", max_length=64, required=True)
        if reference:
            data.customer = lookups.customers.get(reference)
            if data.customer is None:
                cleaner.error("customer_ref", _("Unknown customer: no customer has this external reference."))
            else:
                data.fields["customer"] = data.customer
        for column in ("issue_date", "due_date"):
            data.fields[column] = cleaner.date(column, required=True)
        data.fields["amount"] = cleaner.decimal("amount", required=True, max_digits=14)
        open_amount = cleaner.decimal("open_amount", max_digits=14)
        if open_amount is not None:
            data.fields["open_amount"] = open_amount
        self._clean_currency(cleaner, data)
        self._clean_reference(cleaner, data, lookups)
        self._check_consistency(cleaner, data)
        return data

    def _clean_reference(self, cleaner: RowCleaner, data: InvoiceRow, lookups: _Lookups) -> None:
        given = cleaner.text("payment_reference", max_length=40)
        if not given:
            return
        try:
            reference = references.clean(given)
        except ValidationError as error:
            cleaner.error("payment_reference", " ".join(error.messages))
            return
        holder = lookups.references.setdefault(reference, data.number)
        if holder != data.number:
            cleaner.error(
                "payment_reference", _("Invoice %(number)s already has this payment reference.") % {"number": holder}
            )
        else:
            data.fields["payment_reference"] = reference

    def _clean_currency(self, cleaner: RowCleaner, data: InvoiceRow) -> None:
        currency = cleaner.text("currency", max_length=3)
        if not currency:
            return
        if not CURRENCY_CODE.fullmatch(currency):
            cleaner.error("currency", _("Use a three-letter currency code such as EUR."))
        else:
            data.fields["currency"] = currency.upper()

    def _check_consistency(self, cleaner: RowCleaner, data: InvoiceRow) -> None:
        """The rules the invoice services enforce, reported on the row instead of failing the import."""
        fields, existing = data.fields, data.invoice
        issue_date, due_date, amount = fields["issue_date"], fields["due_date"], fields["amount"]
        if issue_date and due_date and due_date < issue_date:
            cleaner.error("due_date", _("The due date cannot be before the issue date."))
        if amount is None:
            return
        given = fields.get("open_amount")
        open_amount = given if given is not None else (existing.open_amount if existing else amount)
        if open_amount > amount:
            column = "open_amount" if given is not None else "amount"
            cleaner.error(column, _("The open amount cannot be more than the invoice amount."))
        if existing and existing.status in SETTLED_BY_DECISION and given is not None and given != existing.open_amount:
            message = _("This invoice is %(status)s; its open amount cannot change through an import.")
            cleaner.error("open_amount", message % {"status": existing.get_status_display().lower()})

    def apply(
        self, *, organization: Organization, rows: list[PlannedRow], actor: Actor, progress: Progress | None = None
    ) -> list[int]:
        with invoice_effects_batched():  # the ledger, figures and schedules once for the whole file
            return self._write(organization, rows, actor, progress)

    def _write(self, organization: Organization, rows: list[PlannedRow], actor: Actor,
               progress: Progress | None) -> list[int]:  # fmt: skip
        """New invoices, then changed ones, CHUNK rows per round of statements; returns the customers touched."""
        touched, done = [], 0
        for chunk in chunked([planned for planned in rows if planned.data.invoice is None], CHUNK):
            invoices = []
            for planned in chunk:
                fields = {key: value for key, value in planned.data.fields.items() if key != "customer"}
                try:
                    invoices.append(invoice_new(organization=organization, customer=planned.data.customer, **fields))
                except ValidationError as error:
                    raise RowApplyError(planned.number, " ".join(error.messages)) from error
            invoices_create_many(organization=organization, invoices=invoices, actor=actor)
            touched += [planned.data.customer.pk for planned in chunk]
            done += len(chunk)
            if progress is not None:
                progress(done)
        for chunk in chunked([planned for planned in rows if planned.data.invoice is not None], CHUNK):
            updates = [(planned.data.invoice, planned.data.fields) for planned in chunk]
            try:
                invoices_update_many(organization=organization, updates=updates, actor=actor)
            except ValidationError as error:
                raise RowApplyError(chunk[error.position].number, " ".join(error.messages)) from error
            touched += [
                id_ for planned in chunk for id_ in (planned.data.invoice.customer_id, planned.data.customer.pk)
            ]
            done += len(chunk)
            if progress is not None:
                progress(done)
        return touched


def invoices_export_queryset(queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return queryset.select_related("customer")


def invoice_export_rows(queryset: QuerySet[Invoice], *, chunk_size: int = 2000) -> Iterator[list[Any]]:
    """One row per invoice in INVOICE_EXPORT_COLUMNS order, read in chunks."""
    for invoice in invoices_export_queryset(queryset).iterator(chunk_size=chunk_size):
        yield [
            invoice.number, invoice.customer.external_ref, invoice.issue_date, invoice.due_date,
            invoice.amount, invoice.open_amount, invoice.currency, invoice.payment_reference, invoice.status,
        ]  # fmt: skip
