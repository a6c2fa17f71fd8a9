"""Customers from a spreadsheet, and customers to one: the row schema, validation, apply and export rows.

A row is matched to an existing customer by external reference inside the organization and updated;
otherwise it creates one. Columns left out of the file keep their values; an empty cell clears an
optional field. `email` and `phone` go to a contact: the customer's contact with that address (or, for
a phone without address, that number) is kept, otherwise a new one is created that receives messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Contact, Customer, CustomerType, EmailStatus
from customers.services import (
    contact_create,
    contact_update,
    customer_check,
    customer_create,
    customer_update,
    customers_create_many,
    email_status_for,
)
from customers.stats import customers_refresh_stats
from organizations.models import Membership, Organization
from organizations.selectors import members_list
from organizations.services import Actor
from tabular.importing import PlannedRow, Progress, RowApplyError, RowCleaner, RowImporter, chunked, report_progress
from tabular.reading import Table, cell_text

CUSTOMER_COLUMNS = (
    "external_ref", "name", "type", "email", "phone", "language", "vat_number",
    "street", "postal_code", "city", "country", "account_manager_email",
)  # fmt: skip
CUSTOMER_EXPORT_COLUMNS = (*CUSTOMER_COLUMNS, "open_balance")
REQUIRED_COLUMNS = ("external_ref", "name")
NEW_CHUNK = 500  # new customers written per round of statements
# Optional text columns copied onto the customer as they are, with the model's maximum length.
TEXT_FIELDS = {"vat_number": 32, "street": 200, "postal_code": 16, "city": 100}
COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


@dataclass
class CustomerRow:
    external_ref: str
    fields: dict[str, Any]  # for customer_create / customer_update: only the columns in the file
    email: str = ""
    phone: str = ""
    customer: Customer | None = None  # the existing customer with this reference


@dataclass
class _Lookups:
    organization: Organization
    existing: dict[str, Customer]
    managers: dict[str, Membership]
    types: dict[str, str] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)


def _choice_names(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Each value by its code and by its label in every interface language (`person`, `Persoon`, …)."""
    names = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.update({str(label).strip().lower(): value for value, label in choices})
    names.update({str(value).lower(): value for value, _label in choices})
    return names


def _language_names() -> dict[str, str]:
    names = _choice_names(settings.LANGUAGES)
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        names.update({info["name"].lower(): code, info["name_local"].lower(): code})
    return names


class CustomerImporter(RowImporter):
    kind = "customers"
    columns = CUSTOMER_COLUMNS
    required = REQUIRED_COLUMNS
    key = "external_ref"
    duplicate_message = gettext_lazy("Row %(row)s already has this external reference.")

    def existing(self, data):
        return data.customer

    def changes_something(self, data: CustomerRow) -> bool:
        return _changes_something(data)

    def _lookups(self, organization: Organization, table: Table) -> _Lookups:
        refs = sorted({cell_text(row.values.get("external_ref")) for row in table.rows} - {""})
        contacts = Prefetch("contacts", queryset=Contact.objects.order_by("id"))
        existing = {}
        for part in chunked(refs):
            found = Customer.objects.filter(organization=organization, external_ref__in=part)
            existing.update({customer.external_ref: customer for customer in found.prefetch_related(contacts)})
        managers = {m.user.email.lower(): m for m in members_list(organization=organization)}
        return _Lookups(organization, existing, managers, _choice_names(CustomerType.choices), _language_names())

    def _clean(self, cleaner: RowCleaner, lookups: _Lookups) -> CustomerRow:
        external_ref = cleaner.text("external_ref", max_length=64, required=True) or ""
        customer = lookups.existing.get(external_ref)
        fields: dict[str, Any] = {"external_ref": external_ref}
        name = cleaner.text("name", max_length=200, required=True)
        if name:
            fields["name"] = name
        for column, max_length in TEXT_FIELDS.items():
            value = cleaner.text(column, max_length=max_length)
            if value is not None:
                fields[column] = value
        self._clean_choices(cleaner, lookups, fields, creating=customer is None)
        self._clean_country(cleaner, fields)
        self._clean_manager(cleaner, lookups, fields)
        email, phone = self._clean_contact(cleaner)
        return CustomerRow(external_ref=external_ref, fields=fields, email=email, phone=phone, customer=customer)

    def _clean_choices(self, cleaner: RowCleaner, lookups: _Lookups, fields: dict, *, creating: bool) -> None:
        """Type and language: an empty cell keeps the current value, or takes the default for a new customer."""
        if creating:
            fields["language"] = lookups.organization.default_language
        for column, names, message in (
            ("type", lookups.types, _("Use company or person.")),
            ("language", lookups.languages, _("Use a language code: en, nl, fr or de.")),
        ):
            value = (cleaner.text(column, max_length=100) or "").lower()
            if not value:
                continue
            choice = names.get(value)
            if choice is None and column == "language":
                choice = names.get(re.split(r"[-_]", value)[0])  # `nl-BE` and `fr_BE` name the language too
            if choice is None:
                cleaner.error(column, message)
            else:
                fields[column] = choice

    def _clean_country(self, cleaner: RowCleaner, fields: dict) -> None:
        country = cleaner.text("country", max_length=100)
        if country is None:
            return
        if country and not COUNTRY_CODE.fullmatch(country):
            cleaner.error("country", _("Use a two-letter country code such as BE, NL, FR or DE."))
            return
        fields["country"] = country.upper()

    def _clean_manager(self, cleaner: RowCleaner, lookups: _Lookups, fields: dict) -> None:
        email = cleaner.text("account_manager_email", max_length=254)
        if email is None:
            return
        manager = lookups.managers.get(email.lower()) if email else None
        if email and manager is None:
            cleaner.error("account_manager_email", _("No member of this organization has this e-mail address."))
            return
        fields["account_manager"] = manager

    def _clean_contact(self, cleaner: RowCleaner) -> tuple[str, str]:
        email = cleaner.text("email", max_length=254) or ""
        phone = cleaner.text("phone", max_length=32) or ""
        if email and email_status_for(email) == EmailStatus.INVALID:
            cleaner.warn("email", _("Not a valid e-mail address; the contact is imported and marked invalid."))
        return email, phone

    def apply(
        self, *, organization: Organization, rows: list[PlannedRow], actor: Actor, progress: Progress | None = None
    ) -> list[int]:
        touched, done = [], 0
        # New customers in chunks, a few statements each; existing ones one by one (each has its own changes).
        new = [planned for planned in rows if planned.data.customer is None]
        for chunk in chunked(new, NEW_CHUNK):
            touched += [customer.pk for customer in _create_chunk(organization, chunk, actor)]
            done += len(chunk)
            if progress is not None:
                progress(done)
        for planned in rows:
            if planned.data.customer is None:
                continue
            try:
                customer = _apply_row(organization, planned.data, actor)
            except ValidationError as error:
                raise RowApplyError(planned.number, " ".join(error.messages)) from error
            touched.append(customer.pk)
            done += 1
            report_progress(progress, done, len(rows))
        customers_refresh_stats(customer_ids=touched)
        return touched


def _create_chunk(organization: Organization, chunk: list[PlannedRow], actor: Actor) -> list[Customer]:
    for planned in chunk:  # the service checks these too; here a refusal names its row
        try:
            customer_check(organization=organization, fields=planned.data.fields)
        except ValidationError as error:
            raise RowApplyError(planned.number, " ".join(error.messages)) from error
    rows = [
        (planned.data.fields, [{"email": planned.data.email, "phone": planned.data.phone, "notify": True}]
         if planned.data.email or planned.data.phone else [])
        for planned in chunk
    ]  # fmt: skip
    return customers_create_many(organization=organization, rows=rows, actor=actor)


def _apply_row(organization: Organization, data: CustomerRow, actor: Actor) -> Customer:
    if data.customer is None:
        customer = customer_create(organization=organization, actor=actor, **data.fields)
        contacts: list[Contact] = []
    else:
        customer = customer_update(customer=data.customer, actor=actor, **data.fields)
        contacts = list(data.customer.contacts.all())
    _apply_contact(customer, contacts, email=data.email, phone=data.phone, actor=actor)
    return customer


def _apply_contact(customer: Customer, contacts: list[Contact], *, email: str, phone: str, actor: Actor) -> None:
    """Keep a person's choices on an existing contact (notify, name); only add a missing phone number."""
    action, match = _contact_action(contacts, email=email, phone=phone)
    if action == "create":
        contact_create(customer=customer, actor=actor, email=email, phone=phone, notify=True)
    elif action == "update":
        contact_update(contact=match, actor=actor, phone=phone)


def _contact_action(contacts: list[Contact], *, email: str, phone: str) -> tuple[str, Contact | None]:
    """What the row's e-mail and phone do to the customer's contacts: ("create" | "update" | "", the contact)."""
    if not email and not phone:
        return "", None
    if email:
        match = next((c for c in contacts if c.email.strip().lower() == email.lower()), None)
    else:
        match = next((c for c in contacts if c.phone.strip() == phone), None)
    if match is None:
        return "create", None
    if phone and match.phone.strip() != phone:
        return "update", match
    return "", match


def _changes_something(data: CustomerRow) -> bool:
    customer = data.customer
    for name, value in data.fields.items():
        field = Customer._meta.get_field(name)
        if field.is_relation:
            current, value = getattr(customer, field.attname), getattr(value, "pk", value)
        else:
            current = getattr(customer, name)
        if current != value:
            return True
    return bool(_contact_action(list(customer.contacts.all()), email=data.email, phone=data.phone)[0])


def primary_contact(customer: Customer) -> Contact | None:
    """The contact an export shows: the first that receives messages by e-mail, else any with an address
    or a phone number. Re-importing the export then matches this same contact."""
    contacts = list(customer.contacts.all())
    for wanted in (
        lambda c: c.email and c.notify,
        lambda c: c.email,
        lambda c: c.phone,
    ):
        found = next((contact for contact in contacts if wanted(contact)), None)
        if found is not None:
            return found
    return None


def customers_export_queryset(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    contacts = Prefetch("contacts", queryset=Contact.objects.order_by("id"))
    return queryset.select_related("account_manager__user").prefetch_related(contacts).order_by("name", "id")


def customer_export_rows(queryset: QuerySet[Customer], *, chunk_size: int = 2000) -> Iterator[list[Any]]:
    """One row per customer in CUSTOMER_EXPORT_COLUMNS order, read in chunks."""
    for customer in customers_export_queryset(queryset).iterator(chunk_size=chunk_size):
        contact = primary_contact(customer)
        manager = customer.account_manager
        yield [
            customer.external_ref, customer.name, customer.type,
            contact.email if contact else "", contact.phone if contact else "",
            customer.language, customer.vat_number, customer.street, customer.postal_code, customer.city,
            customer.country, manager.user.email if manager else "", customer.open_balance,
        ]  # fmt: skip
