"""Payment references: Belgian structured communication (MOD 97) and ISO 11649 RF creditor references."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from invoices import references
from invoices.models import Invoice
from invoices.services import invoice_create, invoice_new, invoices_create_many
from organizations.models import PaymentReferenceFormat


def _create(organization, customer, number, **extra):
    return invoice_create(
        organization=organization,
        customer=customer,
        number=number,
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        amount=Decimal("121.00"),
        **extra,
    )


@pytest.mark.parametrize("written", ["+++090/9337/55493+++", "090/9337/55493", "090933755493", "***090/9337/55493***"])
def test_known_structured_communication_is_valid_however_it_is_written(written):
    assert references.clean(written) == "090933755493"
    assert references.display("090933755493") == "+++090/9337/55493+++"


def test_structured_check_digits_are_the_number_modulo_97_and_97_for_a_remainder_of_zero():
    assert references.structured(909337554) == "090933755493"
    assert references.structured(97) == "000000009797"  # 97 mod 97 = 0 -> check digits 97
    assert references.structured(194).endswith("97")
    assert references.is_valid_structured("000000009797")
    assert not references.is_valid_structured("000000009700")


def test_a_mistyped_structured_communication_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as error:
        references.clean("+++090/9337/55494+++")
    assert "structured communication is not valid" in error.value.messages[0]


def test_known_rf_creditor_reference_passes_the_iso_11649_check():
    assert references.creditor("539007547034") == "RF18539007547034"
    assert references.clean("rf18 5390 0754 7034") == "RF18539007547034"
    assert references.display("RF18539007547034") == "RF18 5390 0754 7034"
    with pytest.raises(ValidationError):
        references.clean("RF19 5390 0754 7034")


@pytest.mark.django_db
@pytest.mark.parametrize("reference_format", [references.STRUCTURED, references.CREDITOR])
def test_the_database_computes_the_same_reference_as_python(world, reference_format):
    ids = [world.a.invoice.pk]
    Invoice.objects.filter(pk__in=ids).update(payment_reference=references.reference_expression(reference_format))
    for pk in ids + [97, 194, 1, 96, 123456]:
        value = (
            Invoice.objects.filter(pk=world.a.invoice.pk)
            .values_list(references.reference_expression(reference_format, pk=references.Value(pk)), flat=True)
            .get()
        )
        assert value == references.generate(reference_format, pk)
        assert references.clean(value) == value  # valid by its own check


def test_belgian_organization_gets_structured_communications_others_rf(world):
    world.org_a.country, world.org_a2.country = "BE", "NL"
    customer_nl = world.a.customer.__class__.objects.create(organization=world.org_a2, name="Nl", external_ref="N")
    be = _create(world.org_a, world.a.customer, "BE-1")
    nl = _create(world.org_a2, customer_nl, "NL-1")
    assert be.payment_reference == references.structured(be.pk)
    assert Invoice.objects.get(pk=be.pk).payment_reference == references.structured(be.pk)
    assert Invoice.objects.get(pk=nl.pk).payment_reference == references.creditor(f"{nl.pk:010d}")


def test_the_setting_none_gives_no_reference(world):
    world.org_a.payment_reference_format = PaymentReferenceFormat.NONE
    invoice = _create(world.org_a, world.a.customer, "X-1")
    assert Invoice.objects.get(pk=invoice.pk).payment_reference == ""


def test_an_import_gets_references_in_bulk_and_may_bring_its_own(world):
    world.org_a.country = "BE"
    made = [
        invoice_new(
            organization=world.org_a,
            customer=world.a.customer,
            number=f"IMP-{n}",
            issue_date=date(2026, 10, 1),
            due_date=date(2026, 10, 31),
            amount=Decimal("10"),
        )
        for n in range(3)
    ]
    own = invoice_new(
        organization=world.org_a,
        customer=world.a.customer,
        number="IMP-OWN",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        amount=Decimal("10"),
        payment_reference="RF18 5390 0754 7034",
    )
    invoices_create_many(organization=world.org_a, invoices=[*made, own])
    stored = dict(Invoice.objects.filter(number__startswith="IMP-").values_list("number", "payment_reference"))
    assert stored["IMP-OWN"] == "RF18539007547034"
    for invoice in made:
        assert stored[invoice.number] == references.structured(invoice.pk) == invoice.payment_reference


def test_a_reference_already_used_in_the_organization_is_refused(world):
    _create(world.org_a, world.a.customer, "A-1", payment_reference="+++090/9337/55493+++")
    with pytest.raises(ValidationError) as error:
        _create(world.org_a, world.a.customer, "A-2", payment_reference="090933755493")
    assert "payment_reference" in error.value.message_dict
    # Another organization may use the same reference.
    customer_b = world.b.customer
    assert _create(world.org_b, customer_b, "B-1", payment_reference="090933755493").payment_reference


def test_backfill_gives_existing_invoices_references_in_one_update_per_format(world, django_assert_max_num_queries):
    world.org_a.country = "BE"
    world.org_a.save()
    Invoice.objects.update(payment_reference="")
    backfill = __import__("invoices.migrations.0009_invoice_payment_reference", fromlist=["backfill"]).backfill
    with django_assert_max_num_queries(2):
        backfill(apps, None)
    a, b = Invoice.objects.get(pk=world.a.invoice.pk), Invoice.objects.get(pk=world.b.invoice.pk)
    assert a.payment_reference == references.structured(a.pk)
    assert b.payment_reference == references.generate(world.org_b.reference_format, b.pk)


def test_invoice_list_finds_an_invoice_by_its_reference_as_printed(world, client):
    invoice = _create(world.org_a, world.a.customer, "FIND-ME", payment_reference="090933755493")
    client.force_login(world.owner_a.user)
    url = reverse("invoices:list", kwargs={"organization_slug": world.org_a.slug})
    response = client.get(url, {"q": "+++090/9337/55493+++"})
    assert [row.pk for row in response.context["invoices"]] == [invoice.pk]


def test_api_shows_the_reference_read_only_and_accepts_a_valid_one_at_creation(world, api_a):
    data = {
        "customer": world.a.customer.pk,
        "number": "API-1",
        "issue_date": "2026-10-01",
        "due_date": "2026-10-31",
        "amount": "50.00",
        "payment_reference": "RF18 5390 0754 7034",
    }
    created = api_a.post("/api/v1/invoices/", data, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["payment_reference"] == "RF18539007547034"
    assert created.json()["payment_reference_display"] == "RF18 5390 0754 7034"
    changed = api_a.patch(f"/api/v1/invoices/{created.json()['id']}/", {"payment_reference": "090933755493"})
    assert changed.json()["payment_reference"] == "RF18539007547034"
    refused = api_a.post("/api/v1/invoices/", {**data, "number": "API-2", "payment_reference": "RF00 1234"})
    assert refused.status_code == 400
    assert "payment_reference" in refused.json()["error"]["fields"]


def test_an_import_file_may_bring_references_which_are_checked_per_row(world):
    from invoices.batches import import_batch_confirm, import_batch_create
    from tests.spreadsheets import csv_bytes

    _create(world.org_a, world.a.customer, "TAKEN", payment_reference="RF18 5390 0754 7034")
    content = csv_bytes(
        [
            ["number", "customer_ref", "issue_date", "due_date", "amount", "payment_reference"],
            ["F-1", "C-1", "2026-10-01", "2026-10-31", "10.00", "+++090/9337/55493+++"],
            ["F-2", "C-1", "2026-10-01", "2026-10-31", "10.00", "+++090/9337/55494+++"],
            ["F-3", "C-1", "2026-10-01", "2026-10-31", "10.00", "090933755493"],
            ["F-4", "C-1", "2026-10-01", "2026-10-31", "10.00", "RF18539007547034"],
            ["F-5", "C-1", "2026-10-01", "2026-10-31", "10.00", ""],
        ]
    )
    batch = import_batch_create(
        organization=world.org_a, kind="invoices", content=content, filename="f.csv", actor=world.owner_a.user
    )
    problems = {error["row"]: error["message"] for error in batch.summary["errors"]}
    assert "structured communication is not valid" in problems[3]
    assert problems[4] == "Invoice F-1 already has this payment reference."
    assert problems[5] == "Invoice TAKEN already has this payment reference."
    import_batch_confirm(batch=batch, skip_invalid=True, actor=world.owner_a.user)
    stored = dict(Invoice.objects.filter(number__in=["F-1", "F-5"]).values_list("number", "payment_reference"))
    assert stored["F-1"] == "090933755493"
    assert references.clean(stored["F-5"]) == stored["F-5"] != ""


def test_the_owner_chooses_rf_references_for_a_belgian_organization(world, owner_a_client):
    from tests.organizations.test_sender_verification import organization_data

    world.org_a.country = "BE"
    world.org_a.save()
    url = reverse("configuration:organization", args=[world.org_a.slug])
    assert "International creditor reference (RF, ISO 11649)" in owner_a_client.get(url).content.decode()
    response = owner_a_client.post(url, organization_data(world.org_a, payment_reference_format="rf"))
    assert response.status_code == 302
    world.org_a.refresh_from_db()
    invoice = _create(world.org_a, world.a.customer, "RF-1")
    assert invoice.payment_reference.startswith("RF")
    assert references.is_valid_creditor(invoice.payment_reference)


def test_a_generated_reference_taken_by_an_imported_one_gets_a_free_variant(world):
    from invoices.services import _assign_references

    world.org_a.country = "BE"
    invoice = _create(world.org_a, world.a.customer, "NEW-1")
    generated = invoice.payment_reference
    Invoice.objects.filter(pk=invoice.pk).update(payment_reference="")
    # An ERP brought its own communications, one of which is what this invoice's id generates.
    _create(world.org_a, world.a.customer, "ERP-1", payment_reference=generated)
    invoice.payment_reference = ""
    _assign_references(world.org_a, [invoice])
    assert invoice.payment_reference == references.structured(10**9 + invoice.pk)
    assert Invoice.objects.get(pk=invoice.pk).payment_reference == invoice.payment_reference
