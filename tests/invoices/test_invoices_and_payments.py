from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoices.models import Invoice, InvoiceStatus
from invoices.services import invoice_change_status, payment_record
from organizations.models import ActivityLog
from tests.conftest import PDF_BYTES
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def pay(invoice, amount):
    return payment_record(invoice=invoice, amount=Decimal(amount), paid_on=date(2026, 11, 2), method="bank_transfer")


def test_partial_payment_lowers_the_open_amount(world):
    invoice = InvoiceFactory(customer=world.a.customer, amount=Decimal("100.00"))
    pay(invoice, "40.00")
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("60.00"), InvoiceStatus.OPEN)


def test_full_payment_marks_the_invoice_paid(world):
    invoice = InvoiceFactory(customer=world.a.customer, amount=Decimal("100.00"))
    pay(invoice, "40.00")
    pay(invoice, "60.00")
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)


def test_overpayment_and_payment_on_paid_invoice_are_refused(world):
    invoice = InvoiceFactory(customer=world.a.customer, amount=Decimal("100.00"))
    with pytest.raises(ValidationError, match="more than the open amount"):
        pay(invoice, "100.01")
    pay(invoice, "100.00")
    with pytest.raises(ValidationError, match="nothing is owed"):
        pay(invoice, "1.00")
    assert invoice.payments.count() == 1


def test_payment_on_disputed_invoice_pays_it(world):
    invoice = InvoiceFactory(customer=world.a.customer, amount=Decimal("10.00"))
    invoice_change_status(invoice=invoice, status=InvoiceStatus.DISPUTED, reason="Wrong quantity")
    pay(invoice, "10.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_status_transitions_are_enforced(world):
    invoice = InvoiceFactory(customer=world.a.customer, amount=Decimal("10.00"))
    invoice_change_status(invoice=invoice, status=InvoiceStatus.CREDITED)
    invoice.refresh_from_db()
    assert invoice.open_amount == 0
    with pytest.raises(ValidationError, match="cannot become"):
        invoice_change_status(invoice=invoice, status=InvoiceStatus.DISPUTED)


def test_record_payment_through_the_api(world, api_a):
    invoice = world.a.invoice
    response = api_a.post(
        "/api/v1/payments/",
        {
            "invoice": invoice.pk,
            "amount": "90.00",
            "paid_on": "2026-11-20",
            "method": "bank_transfer",
            "reference": "+++123+++",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    api_row = api_a.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert (api_row["status"], api_row["open_amount"]) == ("paid", "0.00")


def test_overpayment_through_the_api_explains_the_limit(world, api_a):
    response = api_a.post(
        "/api/v1/payments/",
        {"invoice": world.a.invoice.pk, "amount": "500.00", "paid_on": "2026-11-20"},
        format="json",
    )
    assert response.status_code == 400
    assert "more than the open amount" in response.json()["error"]["fields"]["amount"][0]


def test_recorded_payment_amount_cannot_be_edited(world, api_a):
    url = f"/api/v1/payments/{world.a.payment.pk}/"
    response = api_a.patch(url, {"amount": "1.00", "reference": "corrected"}, format="json")
    assert response.status_code == 200
    assert (response.json()["amount"], response.json()["reference"]) == ("10.00", "corrected")
    entry = ActivityLog.objects.get(code="invoice.payment_updated", actor_api_key=world.a.api_key)
    assert entry.data["changes"]["reference"][1] == "corrected"


def test_create_invoice_with_customer_reference(world, api_a):
    response = api_a.post(
        "/api/v1/invoices/",
        {
            "customer_ref": "C-1",
            "number": "2026-002",
            "issue_date": "2026-11-01",
            "due_date": "2026-12-01",
            "amount": "250.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    invoice = Invoice.objects.get(organization=world.org_a, number="2026-002")
    assert (invoice.customer, invoice.open_amount, invoice.currency) == (
        world.a.customer,
        Decimal("250.00"),
        "EUR",
    )


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"number": "2026-001"}, "number"),
        ({"due_date": "2026-10-01"}, "due_date"),
        ({"open_amount": "300.00"}, "open_amount"),
        ({"customer_ref": "C-404"}, "customer_ref"),
    ],
)
def test_invalid_invoices_are_refused_with_the_field_named(world, api_a, changes, field):
    data = {
        "customer": world.a.customer.pk,
        "number": "2026-003",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "amount": "250.00",
        **changes,
    }
    response = api_a.post("/api/v1/invoices/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_same_invoice_number_is_fine_in_another_organization(world, api_a):
    """2026-001 exists in tenant B too; A's own 2026-001 is the only clash that counts."""
    response = api_a.get("/api/v1/invoices/", {"number": "2026-001"})
    assert [row["id"] for row in response.json()["results"]] == [world.a.invoice.pk]


def test_pdf_upload_is_checked_and_downloads_are_logged(world, api_a):
    url = f"/api/v1/invoices/{world.a.invoice.pk}/"
    fake = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    assert api_a.patch(url, {"pdf": fake}, format="multipart").status_code == 400
    real = SimpleUploadedFile("x.pdf", PDF_BYTES, content_type="application/pdf")
    assert api_a.patch(url, {"pdf": real}, format="multipart").status_code == 200
    pdf_url = api_a.get(url).json()["pdf_url"]
    response = api_a.get(pdf_url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    assert ActivityLog.objects.filter(code="invoice.pdf_downloaded", subject_id=world.a.invoice.pk).exists()


def test_dispute_through_the_api_is_logged(world, api_a):
    response = api_a.patch(f"/api/v1/invoices/{world.a.invoice.pk}/", {"status": "disputed"}, format="json")
    assert response.json()["status"] == "disputed"
    assert ActivityLog.objects.filter(code="invoice.disputed", actor_api_key=world.a.api_key).exists()


def test_record_payment_on_the_invoice_page(world, owner_a_client):
    slug, invoice = world.org_a.slug, world.a.invoice
    url = reverse("invoices:payment-create", args=[slug, invoice.pk])
    response = owner_a_client.post(url, {"amount": "1000", "paid_on": "2026-11-20", "method": "bank_transfer"})
    assert response.status_code == 400 and b"more than the open amount" in response.content
    response = owner_a_client.post(
        url, {"amount": "40", "paid_on": "2026-11-20", "method": "bank_transfer"}, follow=True
    )
    assert b"Payment recorded" in response.content
    assert response.context["invoice"].open_amount == Decimal("50.00")


def test_create_invoice_on_the_page(world, owner_a_client):
    response = owner_a_client.post(
        reverse("invoices:create", args=[world.org_a.slug]),
        {
            "customer": world.a.customer.pk,
            "number": "P-1",
            "issue_date": "2026-11-01",
            "due_date": "2026-11-30",
            "amount": "99.50",
            "currency": "EUR",
        },
        follow=True,
    )
    assert response.status_code == 200
    invoice = Invoice.objects.get(organization=world.org_a, number="P-1")
    assert invoice.open_amount == Decimal("99.50")
    assert b"Invoice created" in response.content


def test_invoice_form_offers_only_own_customers(world, owner_a_client):
    response = owner_a_client.get(reverse("invoices:create", args=[world.org_a.slug]))
    assert list(response.context["form"].fields["customer"].queryset) == [world.a.customer]


def test_dashboard_shows_outstanding_and_overdue(world, owner_a_client):
    response = owner_a_client.get(reverse("dashboard", args=[world.org_a.slug]))
    (row,) = response.context["summary"]
    assert (row["currency"], row["outstanding"], row["overdue"]) == (
        "EUR",
        Decimal("90.00"),
        Decimal("90.00"),
    )


def test_pdfs_are_stored_under_generated_names_and_a_replaced_one_is_deleted(
    world, api_a, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    invoice = world.a.invoice
    Invoice.objects.filter(pk=invoice.pk).update(number="../2026/07/001")
    url = f"/api/v1/invoices/{invoice.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        first = api_a.patch(url, {"pdf": SimpleUploadedFile("a.pdf", PDF_BYTES)}, format="multipart")
    assert first.status_code == 200, first.json()
    invoice.refresh_from_db()
    old_name = invoice.pdf.name
    folder, _slash, base = old_name.rpartition("/")
    assert folder == f"organizations/{world.org_a.pk}/invoices" and "2026" not in base and ".." not in old_name
    with django_capture_on_commit_callbacks(execute=True):
        api_a.patch(url, {"pdf": SimpleUploadedFile("b.pdf", PDF_BYTES + b"%v2")}, format="multipart")
    invoice.refresh_from_db()
    assert invoice.pdf.name != old_name and default_storage.exists(invoice.pdf.name)
    assert not default_storage.exists(old_name)
    download = api_a.get(f"{url}pdf/")
    assert download["Content-Disposition"].endswith('.pdf"') and b"".join(download.streaming_content).endswith(b"%v2")
