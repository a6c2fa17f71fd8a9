"""Browser journey: a finance user records payments by typing amounts and dates as they write them, in Dutch,
French, German and English, and reads back what was stored and what the page shows; an ambiguous amount is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from invoices.models import Invoice, Payment
from tests.factories import PASSWORD, CustomerFactory, InvoiceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NBSP, NNBSP = "\u00a0", "\u202f"
PAID_ON = dt.date(2026, 12, 3)
# language, what is typed, what must be stored, how the payments table shows it (Belgian organization)
TYPED = [
    ("nl", "10,50", "10.50", f"€{NBSP}10,50"),
    ("nl", "1.234,56", "1234.56", f"€{NBSP}1.234,56"),
    ("fr", "10,50", "10.50", f"10,50{NBSP}€"),
    ("fr", "1.234,56", "1234.56", f"1{NNBSP}234,56{NBSP}€"),
    ("de", "10,50", "10.50", f"10,50{NBSP}€"),
    ("de", "1.234,56", "1234.56", f"1.234,56{NBSP}€"),
    ("en", "1,234.56", "1234.56", "€1,234.56"),
]
PAID_ON_SHOWN = {"nl": "3/12/2026", "fr": "3/12/2026", "de": "03.12.2026", "en": "03/12/2026"}
PAYMENTS = {"nl": "Betalingen", "fr": "Paiements", "de": "Zahlungen", "en": "Payments"}


def log_in(page, live_server, email):
    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def switch_language(page, language):
    with page.expect_navigation():
        page.locator("#language-switcher").select_option(language)
    expect(page.locator("html")).to_have_attribute("lang", language)


def record_payment(page, amount, paid_on="03-12-2026"):
    """Type into the fields as a person does (key by key), not by setting their values."""
    page.locator("#id_amount").fill("")
    page.locator("#id_amount").press_sequentially(amount)
    page.locator("#id_paid_on").fill("")
    page.locator("#id_paid_on").press_sequentially(paid_on)
    with page.expect_navigation():
        page.locator("#id_amount").press("Enter")


def payment_rows(page, language) -> list[list[str]]:
    table = page.locator("section.card", has=page.get_by_role("heading", name=PAYMENTS[language], exact=True))
    return [[cell.text_content() for cell in row.locator("td").all()] for row in table.locator("tbody tr").all()]


def test_payments_typed_in_four_languages_are_stored_and_shown_as_typed(world, live_server, page):
    customer = CustomerFactory(organization=world.org_a, name="Brasserie De Kroon")
    invoice = InvoiceFactory(customer=customer, number="2026-0420", amount=Decimal("5000.00"))
    InvoiceFactory(customer=customer, number="2026-0421", amount=Decimal("1250.50"), currency="USD")
    log_in(page, live_server, "owner@acme.example")
    page.goto(f"{live_server.url}/o/{world.org_a.slug}/invoices/{invoice.pk}/")
    for number, (language, typed, stored, shown) in enumerate(TYPED, start=1):
        if page.locator("html").get_attribute("lang") != language:
            switch_language(page, language)
        expect(page.locator("#id_amount")).to_have_attribute("inputmode", "decimal")
        record_payment(page, typed)
        expect(page.locator(".message.success")).to_be_visible()
        payment = Payment.objects.filter(invoice=invoice).order_by("-id").first()
        assert Payment.objects.filter(invoice=invoice).count() == number
        assert (payment.amount, payment.paid_on) == (Decimal(stored), PAID_ON), (language, typed)
        rows = payment_rows(page, language)
        assert [PAID_ON_SHOWN[language], shown] in [[row[0], row[-1]] for row in rows], (language, rows)
        if language == "nl" and number == 2:
            screenshot = Path(settings.BASE_DIR) / "var" / "e2e" / "money-and-dates-nl.png"
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)

    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("5000.00") - sum(Decimal(stored) for _l, _t, stored, _s in TYPED)

    # English reads a comma as grouping: "10,50" is neither 10.50 nor 1,050.00, so it is refused with the form.
    record_payment(page, "10,50")
    expect(page.locator("#id_amount")).to_have_value("10,50")
    expect(page.get_by_text("Enter an amount such as 1,234.56, with a point before the cents.")).to_be_visible()
    assert Payment.objects.filter(invoice=invoice).count() == len(TYPED)
    assert Invoice.objects.get(pk=invoice.pk).open_amount == invoice.open_amount

    # The customer's page in Dutch: one balance per currency, never added together.
    switch_language(page, "nl")
    page.goto(f"{live_server.url}/o/{world.org_a.slug}/customers/{customer.pk}/")
    balances = [text.strip() for text in page.get_by_test_id("open-balance").all_text_contents()]
    assert balances == [f"€{NBSP}30,26", f"US${NBSP}1.250,50"]
    page.screenshot(path=str(Path(settings.BASE_DIR) / "var" / "e2e" / "customer-balances-nl.png"), full_page=True)
