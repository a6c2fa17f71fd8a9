"""Mandates under test: a fresh prepared mandate in acme-be, the signing form data, an empty rate-limit cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from mandates.links import signing_path
from mandates.services import mandate_prepare
from tests.factories import ContactFactory, CustomerFactory

# A valid Belgian IBAN whose bank schwifty knows (BIC derived: GKCCBEBB).
DEBTOR_IBAN = "BE71 0961 2345 6769"
SIGNING_DATA = {
    "debtor_name": "Jeanne Peeters", "debtor_street": "Lindenlaan 4", "debtor_postal_code": "9000",
    "debtor_city": "Gent", "debtor_country": "BE", "iban": DEBTOR_IBAN, "bic": "", "accept": "on",
    "signer_name": "Jeanne Peeters",
}  # fmt: skip


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(world):
    customer = CustomerFactory(organization=world.org_a, name="Jeanne Peeters", type="person", language="nl",
                               street="Lindenlaan 4", postal_code="9000", city="Gent", country="BE")  # fmt: skip
    ContactFactory(customer=customer, email="jeanne@example.be", name="Jeanne")
    return customer


@pytest.fixture
def prepared(world, person):
    return mandate_prepare(organization=world.org_a, customer=person, profile=world.a.profile, actor=world.owner_a.user)


@pytest.fixture
def sign_url(prepared):
    return signing_path(prepared)
