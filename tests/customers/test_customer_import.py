"""Importing customers: Excel files from BE/NL/FR/DE, updates by external reference, errors per row and column."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Contact, Customer, EmailStatus
from invoices.batches import import_batch_confirm, import_batch_create
from invoices.models import ImportBatch, ImportStatus
from organizations.models import ActivityLog
from tests.spreadsheets import confirm, csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["External Ref", "Name", "Type", "E-mail", "Phone", "Language", "VAT number", "Street", "Postal code",
          "City", "Country", "Account manager email"]  # fmt: skip
CAFE = ["K-100", "Café Brûlé SPRL", "company", "compta@cafe.example", "+32 2 123 45 67", "fr", "BE0123456789",
        "Rue Haute 1", "1000", "Bruxelles", "be", "manager@acme.example"]  # fmt: skip
MUELLER = ["K-101", "Jürgen Müller", "person", "juergen@mueller.example", "", "de", "", "Hauptstraße 5", "52062",
           "Aachen", "DE", ""]  # fmt: skip


def _import(world, content, *, name="customers.csv", skip_invalid=False):
    batch = import_batch_create(
        organization=world.org_a, kind="customers", content=content, filename=name, actor=world.owner_a.user
    )
    return import_batch_confirm(batch=batch, skip_invalid=skip_invalid, actor=world.owner_a.user)


def test_a_semicolon_windows_1252_file_with_accented_names_imports_through_the_pages(world, owner_a_client):
    content = csv_bytes([HEADER, CAFE, MUELLER], delimiter=";", encoding="cp1252")
    response = upload(owner_a_client, world.org_a, kind="customers", content=content, name="klanten.csv")
    batch = ImportBatch.objects.get(organization=world.org_a, original_filename="klanten.csv")
    assert response.url == reverse("imports:preview", args=[world.org_a.slug, batch.pk])
    preview = owner_a_client.get(response.url)
    assert (batch.summary["new"], batch.summary["updated"], batch.summary["invalid"]) == (2, 0, 0)
    assert "Café Brûlé SPRL" in preview.content.decode() and "Import 2 rows" in preview.content.decode()
    assert not Customer.objects.filter(external_ref="K-100").exists()  # nothing before the confirmation

    response = confirm(owner_a_client, world.org_a, batch)

    assert ": 2 new, 0 updated, 0 skipped." in response.content.decode()
    cafe = Customer.objects.get(organization=world.org_a, external_ref="K-100")
    assert (cafe.name, cafe.type, cafe.language, cafe.country, cafe.city) == (
        "Café Brûlé SPRL", "company", "fr", "BE", "Bruxelles"
    )  # fmt: skip
    assert cafe.account_manager == world.manager_a
    contact = cafe.contacts.get()
    assert (contact.email, contact.phone, contact.notify) == ("compta@cafe.example", "+32 2 123 45 67", True)
    assert cafe.has_valid_email is True
    assert Customer.objects.get(external_ref="K-101", organization=world.org_a).name == "Jürgen Müller"
    created = ActivityLog.objects.get(organization=world.org_a, code="customer.created", subject_id=cafe.pk)
    assert created.actor_user == world.owner_a.user


def test_reimporting_updates_customers_instead_of_duplicating_them(world):
    _import(world, csv_bytes([HEADER, CAFE, MUELLER]))
    moved = [*CAFE[:9], "Namur", *CAFE[10:]]
    outcome = _import(world, csv_bytes([HEADER, moved, MUELLER], delimiter=",", encoding="utf-8"))

    assert (outcome.plan.new, outcome.plan.updated, outcome.plan.unchanged) == (0, 1, 1)  # Müller is as he was
    assert Customer.objects.filter(organization=world.org_a, external_ref__in=["K-100", "K-101"]).count() == 2
    cafe = Customer.objects.get(organization=world.org_a, external_ref="K-100")
    assert cafe.city == "Namur" and cafe.contacts.count() == 1
    update = ActivityLog.objects.get(code="customer.updated", subject_id=cafe.pk)
    assert update.data["changes"] == {"city": ["Bruxelles", "Namur"]}


def test_an_existing_customer_keeps_its_contacts_choices(world):
    customer, contact = world.a.customer, world.a.contact
    Contact.objects.filter(pk=contact.pk).update(notify=False)
    row = ["C-1", customer.name, "", contact.email.upper(), "+32 470 00 00 00", "", "", "", "", "", "", ""]
    _import(world, csv_bytes([HEADER, row]))
    contact.refresh_from_db()
    assert (contact.notify, contact.phone) == (False, "+32 470 00 00 00")
    assert customer.contacts.count() == 1


def test_errors_name_the_row_and_column_and_nothing_is_imported(world):
    unknown_manager = [*CAFE[:11], "someone@else.example"]
    bad_country = [*MUELLER[:10], "Deutschland", ""]
    outcome = _import(world, csv_bytes([HEADER, unknown_manager, bad_country, ["K-102", "", "robot"]]))

    assert not outcome.imported and outcome.batch.status == ImportStatus.PENDING
    assert [str(problem) for problem in outcome.plan.errors] == [
        "Row 2, column account_manager_email: No member of this organization has this e-mail address.",
        "Row 3, column country: Use a two-letter country code such as BE, NL, FR or DE.",
        "Row 4, column name: This value is required.",
        "Row 4, column type: Use company or person.",
    ]
    assert not Customer.objects.filter(external_ref__startswith="K-1").exists()


def test_a_member_of_another_tenant_is_not_an_account_manager(world):
    row = [*CAFE[:11], world.owner_b.user.email]
    outcome = _import(world, csv_bytes([HEADER, row]))
    assert outcome.plan.errors[0].column == "account_manager_email"


def test_a_reference_repeated_in_the_file_is_an_error_on_the_later_row(world):
    outcome = _import(world, csv_bytes([HEADER, CAFE, MUELLER, [*CAFE[:1], "Other name"]]), skip_invalid=True)
    assert [str(problem) for problem in outcome.plan.errors] == [
        "Row 4, column external_ref: Row 2 already has this external reference."
    ]
    assert Customer.objects.get(organization=world.org_a, external_ref="K-100").name == "Café Brûlé SPRL"


def test_a_missing_required_column_blocks_the_whole_file(world):
    outcome = _import(world, csv_bytes([["name", "city"], ["Café", "Gent"]]), skip_invalid=True)
    assert not outcome.imported
    assert [str(problem) for problem in outcome.plan.errors] == ["Row 1, column external_ref: This column is missing."]
    assert outcome.plan.invalid == 1


def test_an_invalid_address_is_imported_as_an_invalid_contact_with_a_warning(world):
    outcome = _import(world, csv_bytes([["external_ref", "name", "email"], ["K-9", "Nine", "not-an-address"]]))
    assert outcome.imported
    assert outcome.plan.warnings[0].column == "email"
    contact = Contact.objects.get(customer__external_ref="K-9", organization=world.org_a)
    assert contact.email_status == EmailStatus.INVALID


def test_columns_left_out_keep_their_values_and_language_names_are_understood(world):
    _import(world, csv_bytes([HEADER, CAFE]))
    outcome = _import(world, xlsx_bytes([["external_ref", "name", "language"], ["K-100", "Café Brûlé", "Nederlands"]]),
                      name="customers.xlsx")  # fmt: skip
    assert outcome.imported
    cafe = Customer.objects.get(organization=world.org_a, external_ref="K-100")
    assert (cafe.name, cafe.language, cafe.city, cafe.account_manager) == (
        "Café Brûlé", "nl", "Bruxelles", world.manager_a
    )  # fmt: skip


def test_new_customers_take_the_organizations_language_when_the_file_has_none(world):
    _import(world, csv_bytes([["external_ref", "name"], ["K-7", "Seven"]]))
    assert Customer.objects.get(external_ref="K-7").language == world.org_a.default_language


def test_numeric_references_in_xlsx_cells_match_on_reimport(world):
    content = xlsx_bytes([["external_ref", "name"], [1001.0, "Number as a cell"]])
    _import(world, content, name="customers.xlsx")
    outcome = _import(world, content, name="customers.xlsx")
    assert (outcome.imported, outcome.plan.updated, outcome.plan.unchanged) == (True, 0, 1)  # matched, as it was
    assert Customer.objects.get(organization=world.org_a, external_ref="1001").name == "Number as a cell"
