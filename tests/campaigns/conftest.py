from __future__ import annotations

import pytest

from campaigns.services import campaign_create
from customers.stats import customers_refresh_stats
from tests.factories import ContactFactory, CustomerFactory


@pytest.fixture(autouse=True)
def signing_site(settings):
    """Signing links are absolute: they start with the site's public address."""
    settings.SITE_URL = "https://collect.example"


@pytest.fixture
def make_customer(world):
    def make(*, email: bool = True, organization=None, **fields):
        customer = CustomerFactory(organization=organization or world.org_a, **fields)
        if email:
            ContactFactory(customer=customer, name=f"Contact of {customer.name}",
                           email=f"billing{customer.pk}@debtor.example")  # fmt: skip
        customers_refresh_stats(customer_ids=[customer.pk])
        customer.refresh_from_db()
        return customer

    return make


@pytest.fixture
def campaign(world):
    world.org_a.default_language = "en"  # reasons and problems are written in the staff's language
    world.org_a.save()
    return campaign_create(organization=world.org_a, name="Autumn direct debit", profile=world.a.profile,
                           actor=world.owner_a.user)  # fmt: skip
