"""Staff pages show amounts with their currency, the reader's separators in the organization's country, dates as
that country writes them and times in its zone: read on the dashboard, customer list, customer page and invoice list.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from customers.stats import customers_refresh_stats
from invoices.ledger import ledger_rebuild
from organizations.services import log_action
from tests.factories import CustomerFactory, InvoiceFactory, OrganizationFactory

NBSP, NNBSP = "\u00a0", "\u202f"
NOW = dt.datetime(2026, 12, 3, 9, 11, tzinfo=dt.UTC)  # 10:11 in Brussels

# language: (EUR 2,219,684.75, USD 1,250.50, due date 17 November 2026, the activity at 10:11 Brussels time)
EXPECTED = {
    "en": ("€2,219,684.75", "$1,250.50", "17/11/2026", "03/12/2026 10:11"),
    "nl": (f"€{NBSP}2.219.684,75", f"US${NBSP}1.250,50", "17/11/2026", "3/12/2026 10:11"),
    "fr": (f"2{NNBSP}219{NNBSP}684,75{NBSP}€", f"1{NNBSP}250,50{NBSP}$US", "17/11/2026", "3/12/2026 10:11"),
    "de": (f"2.219.684,75{NBSP}€", f"1.250,50{NBSP}$", "17.11.2026", "03.12.2026 10:11"),
}


@pytest.fixture
def belgian(world):
    """A Belgian organization of tenant A whose only customer owes EUR 2,219,684.75 and USD 1,250.50."""
    with time_machine.travel(NOW, tick=False):
        organization = OrganizationFactory(tenant=world.tenant_a, slug="acme-money", name="Acme Money", country="BE")
        customer = CustomerFactory(organization=organization, name="Grote Klant NV")
        due = dt.date(2026, 11, 17)
        InvoiceFactory(customer=customer, number="EUR-1", amount=Decimal("2219684.75"), issue_date=due, due_date=due)
        InvoiceFactory(
            customer=customer,
            number="USD-1",
            amount=Decimal("1250.50"),
            currency="USD",
            issue_date=due,
            due_date=dt.date(2026, 12, 20),
        )
        customers_refresh_stats(customer_ids=[customer.pk])
        ledger_rebuild(organization=organization)
        log_action(organization=organization, subject=customer, code="customer.updated")
    return organization, customer


def read(client, language: str, url: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_the_dashboard_shows_each_currency_with_its_symbol_and_the_readers_separators(
    belgian, owner_a_client, language
):
    organization, _customer = belgian
    eur, usd, _due, _moment = EXPECTED[language]
    page = read(owner_a_client, language, reverse("dashboard", args=[organization.slug]))
    assert eur in page and usd in page
    assert "2,219,684,75" not in page and "2219684.75" not in page


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_the_customer_list_shows_the_balance_in_the_organizations_currency_and_other_currencies_apart(
    belgian, owner_a_client, language
):
    organization, _customer = belgian
    eur, usd, due, _moment = EXPECTED[language]
    page = read(owner_a_client, language, reverse("customers:list", args=[organization.slug]))
    balance = re.search(r'data-testid="balance">(.*?)</td>', page, re.S).group(1)
    assert balance.startswith(eur) and usd in balance
    assert "(EUR)" in page  # the column and the balance filters say which currency they read
    assert due in page  # the oldest open due date


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_the_customer_page_shows_one_balance_per_currency_dates_and_times_as_the_country_writes_them(
    belgian, owner_a_client, language
):
    organization, customer = belgian
    eur, usd, due, moment = EXPECTED[language]
    page = read(owner_a_client, language, reverse("customers:detail", args=[organization.slug, customer.pk]))
    balances = re.findall(r'data-testid="open-balance">(.*?)</div>', page)
    assert balances == [eur, usd]
    assert due in page and moment in page
    assert "a.m." not in page and "11/17/2026" not in page


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_the_invoice_list_shows_open_amounts_with_their_currency_and_due_dates_day_first(
    belgian, owner_a_client, language
):
    organization, _customer = belgian
    eur, usd, due, _moment = EXPECTED[language]
    page = read(owner_a_client, language, reverse("invoices:list", args=[organization.slug]))
    assert eur in page and usd in page and due in page


def test_no_template_asks_for_an_amount_or_a_date_with_a_browser_number_or_date_input():
    root = Path(settings.BASE_DIR)
    offenders = [
        str(path.relative_to(root))
        for path in root.glob("*/templates/**/*.html")
        if 'type="date"' in path.read_text() or re.search(r'type="number"[^>]*step="0\.01"', path.read_text())
    ]
    assert offenders == []


def test_an_overpayment_is_refused_with_both_amounts_as_the_reader_writes_them(belgian, owner_a_client):
    organization, customer = belgian
    invoice = customer.invoices.get(number="USD-1")
    owner_a_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    url = reverse("invoices:payment-create", args=[organization.slug, invoice.pk])
    response = owner_a_client.post(url, {"amount": "2.000,00", "paid_on": "03-12-2026", "method": "bank_transfer"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert f"US${NBSP}2.000,00" in page and f"US${NBSP}1.250,50" in page
    assert not invoice.payments.exists()
