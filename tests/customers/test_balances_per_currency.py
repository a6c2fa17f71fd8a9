"""A customer who owes in two currencies has two balances; amounts of different currencies are never added."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer, CustomerBalance
from customers.stats import customer_balances, customers_refresh_stats_for_organization
from devtools.bench.data import customers_refresh_figures
from invoices.services import invoice_change_status, invoice_create, payment_record
from tests.factories import CustomerFactory

DUE = dt.date(2026, 11, 17)


@pytest.fixture
def two_currencies(world):
    customer = CustomerFactory(organization=world.org_a, name="Twee Munten BV")
    eur = invoice_create(
        organization=world.org_a,
        customer=customer,
        number="M-EUR",
        issue_date=DUE,
        due_date=DUE,
        amount=Decimal("100.00"),
        currency="EUR",
    )
    usd = invoice_create(
        organization=world.org_a,
        customer=customer,
        number="M-USD",
        issue_date=DUE,
        due_date=DUE,
        amount=Decimal("5000.00"),
        currency="USD",
    )
    return customer, eur, usd


def balances(customer: Customer) -> dict[str, Decimal]:
    customer.refresh_from_db()
    return {balance.currency: balance.open_amount for balance in customer_balances(customer)}


def test_open_balance_is_the_organizations_currency_and_each_currency_has_its_own_row(two_currencies):
    customer, _eur, _usd = two_currencies
    assert balances(customer) == {"EUR": Decimal("100.00"), "USD": Decimal("5000.00")}
    assert customer.open_balance == Decimal("100.00")  # not 5100


def test_payments_and_status_changes_keep_the_rows_in_step(two_currencies):
    customer, eur, usd = two_currencies
    payment_record(invoice=usd, amount=Decimal("1234.56"), paid_on=DUE)
    assert balances(customer) == {"EUR": Decimal("100.00"), "USD": Decimal("3765.44")}
    invoice_change_status(invoice=usd, status="written_off", reason="Never paid")
    assert balances(customer) == {"EUR": Decimal("100.00")}
    payment_record(invoice=eur, amount=Decimal("100.00"), paid_on=DUE)
    assert balances(customer) == {} and customer.open_balance == 0


def test_the_balance_filter_and_sorting_read_the_organizations_currency_only(two_currencies, owner_a_client, world):
    customer, _eur, _usd = two_currencies
    url = reverse("customers:list", args=[world.org_a.slug])
    assert customer.name not in owner_a_client.get(url, {"balance_min": "1000"}).content.decode()
    page = owner_a_client.get(url, {"balance_min": "100", "balance_max": "100"}).content.decode()
    assert customer.name in page and "Balance from (EUR)" in page


def test_the_api_lists_each_currency_owed(two_currencies, api_a):
    customer, _eur, _usd = two_currencies
    row = api_a.get(f"/api/v1/customers/{customer.pk}/").json()
    assert Decimal(row["open_balance"]) == Decimal("100.00")
    assert [(b["currency"], Decimal(b["open_amount"])) for b in row["balances"]] == [
        ("EUR", Decimal("100.00")),
        ("USD", Decimal("5000.00")),
    ]


def test_rebuilding_an_organization_gives_the_same_rows(two_currencies, world):
    customer, _eur, _usd = two_currencies
    before = balances(customer)
    CustomerBalance.objects.filter(customer=customer).delete()
    Customer.objects.filter(pk=customer.pk).update(open_balance=0)
    customers_refresh_stats_for_organization(organization=world.org_a)
    assert balances(customer) == before and customer.open_balance == Decimal("100.00")
    CustomerBalance.objects.filter(customer=customer).delete()
    customers_refresh_figures(organization=world.org_a)  # the bulk path of the benchmark data
    assert balances(customer) == before and customer.open_balance == Decimal("100.00")


def test_another_organizations_customers_keep_their_own_rows(two_currencies, world):
    assert CustomerBalance.objects.filter(organization=world.org_b).count() == 1
    assert all(b.organization_id == b.customer.organization_id for b in CustomerBalance.objects.all())


def test_the_migration_splits_existing_balances_by_currency(two_currencies):
    """Before it, open_balance added every currency; the migration leaves the organization's currency only."""
    from django.apps import apps

    migration = importlib.import_module("customers.migrations.0004_customer_balance_per_currency")
    customer, _eur, _usd = two_currencies
    CustomerBalance.objects.all().delete()
    Customer.objects.filter(pk=customer.pk).update(open_balance=Decimal("5100.00"))
    migration.per_currency_balances(apps, None)
    assert balances(customer) == {"EUR": Decimal("100.00"), "USD": Decimal("5000.00")}
    assert customer.open_balance == Decimal("100.00")
