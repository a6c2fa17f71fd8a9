from __future__ import annotations

import pytest

from organizations.models import ActorType
from organizations.services import CustomerActor, log_action

pytestmark = pytest.mark.django_db


def test_actor_kinds_are_recorded(world):
    customer = world.a.customer
    by_user = log_action(organization=world.org_a, subject=customer, code="customer.updated", actor=world.owner_a.user)
    by_key = log_action(organization=world.org_a, subject=customer, code="customer.updated", actor=world.a.api_key)
    by_customer = log_action(
        organization=world.org_a,
        subject=customer,
        code="customer.updated",
        actor=CustomerActor("Jan Peeters"),
    )
    by_system = log_action(organization=world.org_a, subject=customer, code="customer.updated")
    assert (by_user.actor_type, by_user.actor_user) == (ActorType.USER, world.owner_a.user)
    assert (by_key.actor_type, by_key.actor_label) == (ActorType.API_KEY, "Acme ERP")
    assert (by_customer.actor_type, by_customer.actor_label) == (ActorType.CUSTOMER, "Jan Peeters")
    assert by_system.actor_type == ActorType.SYSTEM


def test_entries_read_as_sentences(world):
    entry = log_action(
        organization=world.org_a,
        subject=world.a.customer,
        code="customer.updated",
        data={"changes": {"name": ["Old", "New"]}},
    )
    assert entry.describe() == "Customer changed"
    assert entry.details() == "Name: Old → New"
