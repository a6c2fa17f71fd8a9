"""The balance filters read what the reader typed on the page (1.000 in Dutch, 1,000 in English); the API and
bulk jobs read the machine form (1000.00) only, whatever language the client asks for."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from customers.filters import CustomerFilter
from customers.jobs import selection_queryset
from customers.models import Customer
from customers.stats import customers_refresh_stats
from localized.filters import machine_query
from tests.factories import CustomerFactory, InvoiceFactory


@pytest.fixture
def big_and_small(world):
    big = CustomerFactory(organization=world.org_a, name="Big Spender")
    small = CustomerFactory(organization=world.org_a, name="Small Fry")
    InvoiceFactory(customer=big, amount=Decimal("1500.50"))
    InvoiceFactory(customer=small, amount=Decimal("10.50"))
    customers_refresh_stats(customer_ids=[big.pk, small.pk])
    return big, small


def page(client, world, language, **query):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("customers:list", args=[world.org_a.slug]), query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "typed"),
    [("nl", "1.000"), ("nl", "1000,00"), ("fr", "1 000,00"), ("de", "1.000,00"), ("en", "1,000.00"), ("en", "1000")],
)
def test_a_balance_typed_in_the_readers_language_filters_the_page(
    big_and_small, owner_a_client, world, language, typed
):
    html = page(owner_a_client, world, language, balance_min=typed)
    assert "Big Spender" in html and "Small Fry" not in html


def test_ten_comma_fifty_is_ten_and_a_half_in_dutch(big_and_small, owner_a_client, world):
    html = page(owner_a_client, world, "nl", balance_max="10,50")
    assert "Small Fry" in html and "Big Spender" not in html


def test_an_amount_that_does_not_read_is_named_on_the_page_not_a_server_error(big_and_small, owner_a_client, world):
    html = page(owner_a_client, world, "en", balance_min="10,50")
    assert "Enter an amount such as 1,234.56, with a point before the cents." in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_api_reads_the_machine_form_in_every_language(big_and_small, api_a, language):
    rows = api_a.get("/api/v1/customers/", {"balance_min": "1000.00"}, HTTP_ACCEPT_LANGUAGE=language).json()
    names = [row["name"] for row in rows["results"]] if "results" in rows else [row["name"] for row in rows]
    assert "Big Spender" in names and "Small Fry" not in names


@pytest.mark.parametrize("typed", ["1.000", "1.000,00", "1,000.00", "10,50"])
def test_the_api_refuses_what_is_not_the_machine_form_rather_than_guess(big_and_small, api_a, typed):
    response = api_a.get("/api/v1/customers/", {"balance_min": typed}, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 400
    assert "1234.56" in str(response.json())


def test_a_bulk_job_reads_the_filter_as_the_page_meant_it(big_and_small, world):
    filterset = CustomerFilter(
        {"balance_min": "1.000"}, queryset=Customer.objects.all(), organization=world.org_a, language="nl"
    )
    query = machine_query(filterset)
    assert query["balance_min"] == "1000.00"
    chosen = selection_queryset(organization=world.org_a, ids=[], filter_query=query.urlencode(), select_all=True)
    assert list(chosen.values_list("name", flat=True)) == ["Big Spender"]


def test_the_page_hands_the_bulk_form_the_machine_form(big_and_small, owner_a_client, world):
    html = page(owner_a_client, world, "de", balance_min="1.000,00")
    assert 'name="filter_query" value="balance_min=1000.00"' in html
