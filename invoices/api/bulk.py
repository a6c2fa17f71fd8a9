"""POST /api/v1/invoices/bulk/: invoices upserted by number, as rows of the invoice import."""

from __future__ import annotations

from collect.api.bulk import BulkRecordSerializer, bulk_request_serializer, record_field
from invoices.imports import InvoiceImporter
from invoices.models import Invoice
from organizations.models import Organization


class InvoiceRecordSerializer(BulkRecordSerializer):
    number = record_field("The invoice number: the key that finds it again.", required=True)
    customer_ref = record_field("The customer's external reference (a customer of this organization).",
                                required=True)  # fmt: skip
    issue_date = record_field("2026-11-23 (or 23/11/2026, day first).", required=True)
    due_date = record_field("2026-12-23 (or 23/12/2026, day first).", required=True)
    amount = record_field("1234.56 (a number or text).", required=True)
    open_amount = record_field("What is still owed; left out: the amount for a new invoice, unchanged otherwise.")
    currency = record_field("A three-letter code; left out: the organization's currency, or unchanged.")


InvoiceBulkRequestSerializer = bulk_request_serializer("InvoiceBulk", InvoiceRecordSerializer)
IMPORTER = InvoiceImporter()


def invoice_ids_by_number(*, organization: Organization, numbers: list[str]) -> dict[str, int]:
    found = Invoice.objects.filter(organization=organization, number__in=numbers)
    return dict(found.values_list("number", "pk"))
