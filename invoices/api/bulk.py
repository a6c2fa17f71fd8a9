"""POST /api/v1/invoices/bulk/: invoices upserted by number, as rows of the invoice import."""

from __future__ import annotations

from invoices.imports import InvoiceImporter
from organizations.api.bulk import bulk_request_serializer

IMPORTER = InvoiceImporter()
HELP_TEXTS = {
    "number": "The invoice number: the key that finds it again.",
    "customer_ref": "The customer's external reference (a customer of this organization).",
    "issue_date": "2026-11-23 (or 23/11/2026, day first).",
    "due_date": "2026-12-23 (or 23/12/2026, day first).",
    "amount": "1234.56 (a number or text).",
    "open_amount": "What is still owed; left out: the amount for a new invoice, unchanged otherwise.",
    "currency": "A three-letter code; left out: the organization's currency, or unchanged.",
}
InvoiceBulkRequestSerializer = bulk_request_serializer("Invoice", IMPORTER, HELP_TEXTS)
