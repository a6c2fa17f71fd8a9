"""Mandates under test: a prepared mandate and the signing form data; customers with signed mandates, invoices and a
follow-up plan for collection."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from schwifty import IBAN

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from mandates.links import signing_path
from mandates.models import Mandate
from mandates.services import mandate_prepare, mandate_transition, references_allocate
from messaging.models import StepChannel
from reminders.models import FollowUpStep
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


def iban(number: int) -> str:
    return str(IBAN.generate("DE", bank_code="37040044", account_code=f"{number:010d}"))


@pytest.fixture
def profile(world):
    profile = world.a.profile
    profile.pre_notification_days = 5
    profile.save()
    return profile


@pytest.fixture
def make_customer(world):
    counter = iter(range(1, 10_000))

    def make(name: str = "Lumen BV", *, language: str = "en", email: str | None = None):
        number = next(counter)
        customer = customer_create(organization=world.org_a, name=f"{name} {number}", external_ref=f"L-{number}",
                                   language=language, country="BE")  # fmt: skip
        contact_create(customer=customer, name="Camille Dubois", email=email or f"debtor{number}@lumen.example")
        return customer

    return make


@pytest.fixture
def sign(world, profile):
    """Put a new mandate for the customer under the profile in state signed (as the signing service would)."""

    def make(customer, *, number: int = 1, on=None, account: str | None = None):
        (reference,) = references_allocate(organization=world.org_a, prefix=(on or profile).reference_prefix)
        mandate = Mandate.objects.create(
            organization=world.org_a, customer=customer, profile=on or profile, reference=reference,
            debtor_name=customer.name, iban=account or iban(customer.pk), language=customer.language,
        )  # fmt: skip
        return mandate_transition(mandate=mandate, to="signed", signature_method="typed_name",
                                  signer_name=customer.name, signed_at=timezone.now() - timedelta(days=1))  # fmt: skip

    return make


@pytest.fixture
def make_invoice(world):
    counter = iter(range(1, 10_000))

    def make(customer, *, amount: str = "121.00", due: date | None = None, currency: str = "EUR"):
        today = timezone.localdate()
        return invoice_create(organization=world.org_a, customer=customer, number=f"INV-{next(counter):04d}",
                              issue_date=today - timedelta(days=40), due_date=due or today - timedelta(days=10),
                              amount=Decimal(amount), currency=currency)  # fmt: skip

    return make


@pytest.fixture
def dunning(world):
    """Organization A's default plan reminds 7 days after the due date."""
    FollowUpStep.objects.create(organization=world.org_a, plan=world.a.plan, position=1, name="Reminder",
                                offset_days=7, channel=StepChannel.EMAIL, purpose="reminder_1")  # fmt: skip
    return world.a.plan


@pytest.fixture
def english_staff(world):
    """Reasons are stored in the organization's language (Dutch in the world); these tests read them in English."""
    world.org_a.default_language = "en"
    world.org_a.save(update_fields=["default_language"])


@pytest.fixture
def wednesday_morning():
    """Wednesday 2 December 2026, 10:00 in Brussels: a business day with December's collection dates ahead."""
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Brussels")), tick=False):
        yield
