"""POST /api/v1/customers/bulk/: customers upserted by external reference, as rows of the customer import."""

from __future__ import annotations

from collect.api.bulk import BulkRecordSerializer, bulk_request_serializer, record_field
from customers.imports import CustomerImporter
from customers.models import Customer
from organizations.models import Organization


class CustomerRecordSerializer(BulkRecordSerializer):
    external_ref = record_field("Your reference for the customer: the key that finds it again.", required=True)
    name = record_field(required=True)
    type = record_field("company or person; a new customer without it is a company.")
    email = record_field("Adds a contact that receives messages (an existing contact with it is kept).")
    phone = record_field()
    language = record_field("en, nl, fr or de; a new customer without it gets the organization's language.")
    vat_number = record_field()
    street = record_field()
    postal_code = record_field()
    city = record_field()
    country = record_field("A two-letter country code such as BE.")
    account_manager_email = record_field("The e-mail address of a member who manages this customer.")


CustomerBulkRequestSerializer = bulk_request_serializer("CustomerBulk", CustomerRecordSerializer)
IMPORTER = CustomerImporter()


def customer_ids_by_reference(*, organization: Organization, references: list[str]) -> dict[str, int]:
    found = Customer.objects.filter(organization=organization, external_ref__in=references)
    return dict(found.values_list("external_ref", "pk"))
