"""What several browser journeys start from."""

from __future__ import annotations

import pytest

from mandates.services import mandate_prepare
from tests.factories import ContactFactory, CustomerFactory


@pytest.fixture
def mandate_to_sign(world):
    """A prepared mandate of organization A for a Brussels person with an e-mail address: its signing page opens."""
    customer = CustomerFactory(
        organization=world.org_a,
        name="Camille Dubois",
        type="person",
        language="en",
        street="Rue Haute 8",
        postal_code="1000",
        city="Bruxelles",
        country="BE",
    )
    ContactFactory(customer=customer, email="camille@example.be")
    return mandate_prepare(organization=world.org_a, customer=customer, profile=world.a.profile)
