"""The EPC069-12 QR code (GiroCode): payload line by line, and the rendered PNG decodes to it."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image

from invoices.payment_details import epc_payload, qr_png
from organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(world):
    """Organization A's euro account (BE71 0961 2345 6769, GKCCBEBB), with a holder name of its own."""
    account = world.a.bank_account
    account.holder_name = "Acme Belgium NV"
    account.save()
    return account


def decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


def test_belgian_structured_communication_goes_in_the_unstructured_field(account):
    payload = epc_payload(account=account, amount=Decimal("1210"), reference="090933755493", text="2026-0142")
    assert payload.split("\n") == [
        "BCD",  # service tag
        "002",  # version: the BIC may be empty inside the EEA
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "GKCCBEBB",
        "Acme Belgium NV",
        "BE71096123456769",
        "EUR1210.00",  # a point and two decimals
        "",  # purpose
        "",  # structured remittance: a Belgian communication is not ISO 11649
        "+++090/9337/55493+++",  # unstructured remittance, as Belgian banking apps read it
    ]
    assert not payload.endswith("\n")  # nothing after the last populated element


def test_rf_reference_goes_in_the_structured_field_and_nothing_follows(account):
    lines = epc_payload(account=account, amount=Decimal("0.01"), reference="RF18539007547034").split("\n")
    assert lines[7:] == ["EUR0.01", "", "RF18539007547034"]


def test_without_reference_the_invoice_number_is_the_remittance_and_an_empty_bic_is_allowed(account):
    account.bic = ""
    lines = epc_payload(account=account, amount=Decimal("5.5"), text="2026-0142").split("\n")
    assert lines[4] == ""
    assert lines[7:] == ["EUR5.50", "", "", "2026-0142"]


def test_name_is_cut_to_70_characters(world, account):
    account.holder_name = ""
    account.organization = Organization(name="N" * 90)
    assert epc_payload(account=account, amount=Decimal("1"), reference="").split("\n")[5] == "N" * 70


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("1000000000.00")])
def test_no_code_outside_the_amounts_epc_allows(account, amount):
    assert epc_payload(account=account, amount=amount, reference="090933755493") is None


def test_no_code_for_another_currency(account):
    account.currency = "USD"
    assert epc_payload(account=account, amount=Decimal("10"), reference="090933755493") is None


def test_the_png_decodes_to_the_payload(account):
    payload = epc_payload(account=account, amount=Decimal("1694.50"), reference="090933755493", text="x")
    assert decode(qr_png(payload)) == payload


def test_the_invoice_page_shows_reference_bank_details_and_the_qr_code(world, account, owner_a_client):
    from datetime import date

    from django.urls import reverse

    from invoices.services import invoice_create

    world.org_a.country = "BE"
    world.org_a.save()
    invoice = invoice_create(
        organization=world.org_a,
        customer=world.a.customer,
        number="PAGE-1",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        amount=Decimal("42.00"),
    )
    page = owner_a_client.get(
        reverse("invoices:detail", kwargs={"organization_slug": world.org_a.slug, "pk": invoice.pk})
    ).content.decode()
    assert invoice.payment_reference_display.startswith("+++")
    assert invoice.payment_reference_display in page
    assert "BE71 0961 2345 6769" in page
    figure = page.split('data-testid="epc-qr"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in figure


def test_api_gives_the_qr_code_of_an_invoice_as_png_or_svg(world, account, api_a):
    from datetime import date

    from invoices.services import invoice_create

    invoice = invoice_create(
        organization=world.org_a,
        customer=world.a.customer,
        number="API-QR",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        amount=Decimal("42.00"),
    )
    png = api_a.get(f"/api/v1/invoices/{invoice.pk}/payment-qr/")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert decode(png.content).split("\n")[7] == "EUR42.00"
    svg = api_a.get(f"/api/v1/invoices/{invoice.pk}/payment-qr/?image=svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert api_a.get(f"/api/v1/invoices/{world.b.invoice.pk}/payment-qr/").status_code == 404
    usd = invoice_create(
        organization=world.org_a,
        customer=world.a.customer,
        number="API-USD",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        amount=Decimal("42.00"),
        currency="USD",
    )
    assert api_a.get(f"/api/v1/invoices/{usd.pk}/payment-qr/").status_code == 404
