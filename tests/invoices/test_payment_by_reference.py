"""A transfer recorded with its payment reference finds its invoice (API and the invoices page)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from invoices.models import InvoiceStatus, Payment
from invoices.services import invoice_create


@pytest.fixture
def invoice(world):
    return invoice_create(
        organization=world.org_a,
        customer=world.a.customer,
        number="REF-1",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        amount=Decimal("250.00"),
        payment_reference="+++090/9337/55493+++",
    )


@pytest.mark.parametrize("written", ["+++090/9337/55493+++", "090 9337 55493", "090/9337/55493"])
def test_api_records_a_payment_by_reference_however_the_bank_wrote_it(world, api_a, invoice, written):
    response = api_a.post("/api/v1/payments/", {"reference": written, "amount": "100.00", "paid_on": "2026-11-02"})
    assert response.status_code == 201, response.json()
    assert response.json()["invoice"] == invoice.pk
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("150.00")


def test_api_refuses_an_unknown_reference_clearly(world, api_a, invoice):
    response = api_a.post(
        "/api/v1/payments/", {"reference": "+++090/9337/55494+++", "amount": "1", "paid_on": "2026-11-02"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reference"] == ["No invoice has this payment reference."]
    assert not Payment.objects.filter(invoice=invoice, amount=1).exists()


def test_api_does_not_match_another_tenants_reference(world, api_client, invoice):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    response = api_client.post(
        "/api/v1/payments/", {"reference": "090933755493", "amount": "1", "paid_on": "2026-11-02"}
    )
    assert response.status_code == 400


def test_the_invoices_page_records_a_payment_by_reference(world, owner_a_client, invoice):
    url = reverse("invoices:payment-by-reference", kwargs={"organization_slug": world.org_a.slug})
    assert (
        "Record payment by reference"
        in owner_a_client.get(reverse("invoices:list", kwargs={"organization_slug": world.org_a.slug})).content.decode()
    )
    response = owner_a_client.post(
        url, {"reference": "+++090/9337/55493+++", "amount": "", "paid_on": "02-11-2026", "method": "bank_transfer"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "invoices:detail", kwargs={"organization_slug": world.org_a.slug, "pk": invoice.pk}
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID  # empty amount: the whole open amount
    assert invoice.payments.get().reference == "+++090/9337/55493+++"


def test_the_form_says_when_no_invoice_has_the_reference(world, owner_a_client, invoice):
    url = reverse("invoices:payment-by-reference", kwargs={"organization_slug": world.org_a.slug})
    response = owner_a_client.post(
        url, {"reference": "RF18 5390 0754 7034", "amount": "10", "paid_on": "02-11-2026", "method": "bank_transfer"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["reference"] == ["No invoice has this payment reference."]
