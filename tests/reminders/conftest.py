from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from messaging.models import StepChannel
from reminders.models import FollowUpPlan, FollowUpStep, Grouping

STEPS = [  # position, name, offset, channel, purpose
    (1, "Friendly reminder", -3, StepChannel.EMAIL, "pre_due"),
    (2, "Reminder", 7, StepChannel.EMAIL, "reminder_1"),
    (3, "Second reminder", 21, StepChannel.EMAIL, "reminder_2"),
    (4, "Final notice", 35, StepChannel.EMAIL, "final_notice"),
    (5, "Call the customer", 45, StepChannel.TASK, ""),
]


@pytest.fixture
def plan(world):
    """Organization A's default plan, grouped per customer, as seed_demo builds it. Its staff read English."""
    world.org_a.default_language = "en"
    world.org_a.save()
    plan = world.a.plan
    plan.grouping = Grouping.PER_CUSTOMER
    plan.save()
    for position, name, offset, channel, purpose in STEPS:
        FollowUpStep.objects.create(organization=world.org_a, plan=plan, position=position, name=name,
                                    offset_days=offset, channel=channel, purpose=purpose)  # fmt: skip
    return plan


@pytest.fixture
def debtor(world, plan):
    customer = customer_create(organization=world.org_a, name="Lumen Design SRL", external_ref="L-1", language="fr",
                               country="BE", account_manager=world.manager_a)  # fmt: skip
    contact_create(customer=customer, name="Camille Dubois", email="camille@lumen.example")
    return customer


@pytest.fixture
def make_invoice(world, debtor):
    def make(number, due, amount="500.00", customer=None):
        return invoice_create(organization=world.org_a, customer=customer or debtor, number=number,
                              issue_date=date(2026, 10, 1), due_date=due, amount=Decimal(amount))  # fmt: skip

    return make


@pytest.fixture
def reviewed(world):
    """A plan that reviews its messages before sending, a Dutch-speaking customer on it, and a 10-day-old invoice."""
    plan = FollowUpPlan.objects.create(
        organization=world.org_a, name="Reviewed", grouping=Grouping.PER_CUSTOMER, review_before_sending=True
    )
    for position, (name, offset, channel, purpose) in enumerate(
        [
            ("Reminder", 7, StepChannel.EMAIL, "reminder_1"),
            ("Second reminder", 21, StepChannel.EMAIL, "reminder_2"),
            ("Call", 30, StepChannel.TASK, ""),
        ],
        start=1,
    ):
        FollowUpStep.objects.create(
            organization=world.org_a,
            plan=plan,
            position=position,
            name=name,
            offset_days=offset,
            channel=channel,
            purpose=purpose,
        )
    customer = customer_create(
        organization=world.org_a,
        name="Atelier Janssens",
        external_ref="AJ-1",
        language="nl",
        country="BE",
        follow_up_plan=plan,
    )
    contact_create(customer=customer, name="Jan Janssens", email="jan@janssens.example")
    invoice = invoice_create(
        organization=world.org_a,
        customer=customer,
        number="AJ-100",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 11, 13),
        amount=Decimal("1250.00"),
    )
    return plan, customer, invoice
