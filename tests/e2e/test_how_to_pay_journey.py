"""Browser journey: an owner adds the bank account, then sees an invoice's reference, IBAN and QR code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_add_a_bank_account_and_see_how_to_pay_on_an_invoice(world, live_server, page):
    from invoices.services import invoice_create

    world.org_a.country = "BE"
    world.org_a.save()
    world.a.bank_account.delete()  # the journey starts without one
    invoice = invoice_create(
        organization=world.org_a,
        customer=world.a.customer,
        number="2026-0142",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 31),
        amount=Decimal("1210.00"),
    )
    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill("owner@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{live_server.url}/o/{world.org_a.slug}/configuration/")
    page.get_by_role("link", name="Bank accounts").click()
    page.get_by_role("textbox", name="Currency").fill("EUR")
    page.get_by_role("textbox", name="IBAN").fill("BE71 0961 2345 6768")  # a typing error first
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("check digits do not match")).to_be_visible()
    page.get_by_role("textbox", name="IBAN").fill("BE71 0961 2345 6769")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_test_id("bank-accounts")).to_contain_text("BE71 0961 2345 6769")
    expect(page.get_by_test_id("bank-accounts")).to_contain_text("GKCCBEBB")

    page.goto(f"{live_server.url}/o/{world.org_a.slug}/invoices/{invoice.pk}/")
    how_to_pay = page.get_by_test_id("how-to-pay")
    expect(how_to_pay.get_by_test_id("payment-reference")).to_have_text(invoice.payment_reference_display)
    expect(how_to_pay.get_by_test_id("payment-iban")).to_have_text("BE71 0961 2345 6769")
    expect(how_to_pay.get_by_test_id("epc-qr").locator("svg")).to_be_visible()
