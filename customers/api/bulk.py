"""POST /api/v1/customers/bulk/: customers upserted by external reference, as rows of the customer import."""

from __future__ import annotations

from customers.imports import CustomerImporter
from organizations.api.bulk import bulk_request_serializer

IMPORTER = CustomerImporter()
HELP_TEXTS = {
    "external_ref": "Your reference for the customer: the key that finds it again.",
    "type": "company or person; a new customer without it is a company.",
    "email": "Adds a contact that receives messages (an existing contact with it is kept).",
    "language": "en, nl, fr or de; a new customer without it gets the organization's language.",
    "country": "A two-letter country code such as BE.",
    "account_manager_email": "The e-mail address of a member who manages this customer.",
}
CustomerBulkRequestSerializer = bulk_request_serializer("Customer", IMPORTER, HELP_TEXTS)
