"""Generated receivables for the report tests: two account managers and unassigned customers in organization A,
EUR and USD invoices over 15 months, partial and full payments, credited, written-off and disputed invoices, and
follow-up messages; organization B gets the same shape so that a leak would change A's figures."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoices.models import InvoiceStatus
from invoices.services import invoice_change_status, invoice_create, payment_record
from messaging.models import Dispatch, DispatchInvoice, DispatchStatus
from organizations.models import Role
from reminders.follow_up_messages import FOLLOW_UP
from reminders.models import FollowUpPlan, FollowUpStep, Task, TaskStatus
from tests.factories import CustomerFactory, MembershipFactory

TODAY = date(2026, 12, 3)


def _generate(organization, managers, seed: int) -> None:
    rng = random.Random(seed)
    plan = FollowUpPlan.objects.create(organization=organization, name=f"Plan {seed}")
    steps = [
        FollowUpStep.objects.create(organization=organization, plan=plan, position=n, name=f"Step {n}", offset_days=n)
        for n in (1, 2)
    ]
    owners = [*managers, None, None]
    for index in range(10):
        customer = CustomerFactory(organization=organization, account_manager=owners[index % len(owners)])
        for number in range(6):
            issued = TODAY - timedelta(days=rng.randrange(0, 460))
            invoice = invoice_create(
                organization=organization,
                customer=customer,
                number=f"{seed}-{index}-{number}",
                issue_date=issued,
                due_date=issued + timedelta(days=rng.choice([0, 14, 30, 60])),
                amount=Decimal(rng.randrange(1000, 90000)) / 100,
                currency=rng.choice(["EUR", "EUR", "USD"]),
            )
            fate = rng.random()
            if fate < 0.1:
                invoice_change_status(invoice=invoice, status=InvoiceStatus.CREDITED)
                continue
            if fate < 0.15:
                invoice_change_status(invoice=invoice, status=InvoiceStatus.WRITTEN_OFF)
                continue
            paid_on = issued
            for _part in range(rng.choice([0, 1, 1, 2, 3])):
                paid_on = min(TODAY, paid_on + timedelta(days=rng.randrange(0, 70)))
                invoice.refresh_from_db()
                if invoice.open_amount <= 0:
                    break
                share = rng.choice([Decimal("1"), Decimal("0.5"), Decimal("0.3")])
                amount = max(Decimal("0.01"), (invoice.open_amount * share).quantize(Decimal("0.01")))
                payment_record(invoice=invoice, amount=amount, paid_on=paid_on)
            invoice.refresh_from_db()
            if invoice.status == InvoiceStatus.OPEN and rng.random() < 0.15:
                invoice_change_status(invoice=invoice, status=InvoiceStatus.DISPUTED)
            if rng.random() < 0.4:
                sent = timezone.make_aware(
                    timezone.datetime.combine(
                        issued + timedelta(days=rng.randrange(1, 60)), timezone.datetime.min.time()
                    )
                ).replace(hour=10)
                dispatch = Dispatch.objects.create(
                    organization=organization,
                    kind=FOLLOW_UP,
                    customer=customer,
                    invoice=invoice,
                    step=rng.choice(steps),
                    channel="email",
                    status=DispatchStatus.SENT,
                    scheduled_for=sent,
                    sent_at=sent,
                )
                DispatchInvoice.objects.create(
                    organization=organization, dispatch=dispatch, invoice=invoice, open_amount=invoice.open_amount
                )
        for n in range(3):
            done = rng.random() < 0.5
            Task.objects.create(
                organization=organization,
                customer=customer,
                title=f"Call {n}",
                assigned_to=owners[(index + n) % len(owners)],
                due_on=TODAY - timedelta(days=rng.randrange(-5, 40)),
                status=TaskStatus.DONE if done else TaskStatus.TODO,
                done_at=timezone.now() - timedelta(days=rng.randrange(0, 100)) if done else None,
            )


@pytest.fixture
def receivables(world):
    second_manager = MembershipFactory(
        tenant=world.tenant_a, role=Role.MEMBER, is_account_manager=True, user__email="second@acme.example"
    )
    _generate(world.org_a, [world.manager_a, second_manager], seed=1)
    _generate(world.org_b, [world.owner_b], seed=2)
    world.second_manager = second_manager
    return world
