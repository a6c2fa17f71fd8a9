"""An invoice that enters follow-up long overdue starts with the first reminder, then keeps the plan's spacing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from mailroom.models import StoredEmail
from messaging.delivery import deliver_one, due_dispatch_ids
from messaging.models import Dispatch, StepChannel
from reminders.decide import decide_due_cross_tenant
from reminders.engine import explain
from reminders.models import FollowUpPlan, FollowUpStep, Grouping

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")
STEPS = [("Reminder", 7, "reminder_1"), ("Second reminder", 21, "reminder_2"), ("Final notice", 35, "final_notice")]


def at(*args):
    return datetime(*args, tzinfo=BRUSSELS)


def run_pass(now):
    decide_due_cross_tenant(now=now)
    for dispatch_id in due_dispatch_ids(now=now):
        deliver_one(dispatch_id=dispatch_id, now=now)


@pytest.fixture
def three_steps(world):
    plan = FollowUpPlan.objects.create(organization=world.org_a, name="Three steps", grouping=Grouping.PER_CUSTOMER)
    for position, (name, offset, purpose) in enumerate(STEPS, start=1):
        FollowUpStep.objects.create(
            organization=world.org_a,
            plan=plan,
            position=position,
            name=name,
            offset_days=offset,
            channel=StepChannel.EMAIL,
            purpose=purpose,
        )
    return plan


@pytest.fixture
def debtor(world, three_steps):
    customer = customer_create(
        organization=world.org_a,
        name="Bakkerij Peeters",
        external_ref="BP-1",
        language="nl",
        country="BE",
        follow_up_plan=three_steps,
    )
    contact_create(customer=customer, name="An Peeters", email="an@peeters.example")
    return customer


def invoice(world, customer, number, due):
    return invoice_create(
        organization=world.org_a,
        customer=customer,
        number=number,
        issue_date=date(2026, 6, 1),
        due_date=due,
        amount=Decimal("800.00"),
    )


def subjects():
    return [mail.subject for mail in StoredEmail.objects.order_by("id") if "an@peeters.example" in mail.to]


def test_ninety_days_overdue_gets_the_first_reminder_then_the_second_after_the_spacing(world, debtor):
    late = invoice(world, debtor, "L-90", date(2026, 8, 25))  # 90 days overdue on Monday 23 November
    run_pass(at(2026, 11, 23, 10, 0))
    assert subjects() == ["Betalingsherinnering – Acme Belgium"]  # not "Laatste aanmaning … eerdere herinneringen"
    (mail,) = [mail for mail in StoredEmail.objects.all() if "an@peeters.example" in mail.to]
    assert "eerdere herinneringen" not in mail.text_body
    late.refresh_from_db()
    # +21 is 14 days after +7: counted from the first message (23 November), not from the due date.
    assert late.next_follow_up_at == at(2026, 12, 7, 9, 0)
    run_pass(at(2026, 12, 4, 10, 0))
    assert len(subjects()) == 1  # nothing in between
    run_pass(at(2026, 12, 7, 9, 0))
    assert subjects()[1] == "Tweede herinnering: betaling achterstallig – Acme Belgium"
    late.refresh_from_db()
    assert late.next_follow_up_at == at(2026, 12, 21, 9, 0)
    run_pass(at(2026, 12, 21, 9, 0))
    assert subjects()[2].startswith("Laatste aanmaning")
    assert [d.step.name for d in Dispatch.objects.filter(customer=debtor).order_by("id")] == [n for n, _o, _p in STEPS]


def test_the_explanation_names_the_first_reminder_and_its_date_before_and_the_spacing_after(world, debtor):
    late = invoice(world, debtor, "L-91", date(2026, 8, 25))
    with time_machine.travel(at(2026, 11, 23, 8, 0), tick=False):
        explanation = explain(late)
    assert (explanation.step.name, explanation.at) == ("Reminder", at(2026, 11, 23, 9, 0))
    assert any("late" in note for note in explanation.notes)
    run_pass(at(2026, 11, 23, 10, 0))
    late.refresh_from_db()
    with time_machine.travel(at(2026, 11, 24, 8, 0), tick=False):
        explanation = explain(late)
    assert (explanation.step.name, explanation.at) == ("Second reminder", at(2026, 12, 7, 9, 0))


def test_a_plans_late_entry_step_is_honoured_without_speaking_of_earlier_reminders(world, debtor, three_steps):
    three_steps.late_entry_step = three_steps.steps.get(name="Second reminder")
    three_steps.save()
    invoice(world, debtor, "L-92", date(2026, 8, 25))
    run_pass(at(2026, 11, 23, 10, 0))
    (first,) = Dispatch.objects.filter(customer=debtor)
    assert first.step.name == "Second reminder"
    # The step's own text says "we recently sent you a reminder": the debtor gets the first reminder's text.
    assert subjects() == ["Betalingsherinnering – Acme Belgium"]
    run_pass(at(2026, 12, 4, 10, 0))  # +35 is 14 days after +21: 7 December
    assert len(subjects()) == 1
    run_pass(at(2026, 12, 7, 9, 0))
    assert subjects()[1].startswith("Laatste aanmaning")


def test_a_grouped_late_arrival_lists_every_old_invoice_in_one_first_reminder(world, debtor):
    invoice(world, debtor, "G-90", date(2026, 8, 25))
    invoice(world, debtor, "G-60", date(2026, 9, 24))
    invoice(world, debtor, "G-03", date(2026, 11, 20))  # 3 days overdue: not yet at the first reminder (+7)
    run_pass(at(2026, 11, 23, 10, 0))
    (mail,) = [mail for mail in StoredEmail.objects.all() if "an@peeters.example" in mail.to]
    assert mail.subject == "Betalingsherinnering – Acme Belgium"
    assert "G-90" in mail.text_body and "G-60" in mail.text_body and "G-03" not in mail.text_body


def test_an_invoice_only_just_past_its_first_reminder_follows_the_plan_from_its_due_date(world, debtor):
    recent = invoice(world, debtor, "R-10", date(2026, 11, 13))  # 10 days overdue: the +7 reminder, not late
    run_pass(at(2026, 11, 23, 10, 0))
    assert subjects() == ["Betalingsherinnering – Acme Belgium"]
    recent.refresh_from_db()
    assert recent.next_follow_up_at == at(2026, 12, 4, 9, 0)  # due date + 21, as planned
    assert Dispatch.objects.get(customer=debtor).schedule_from is None


def test_an_imported_long_overdue_invoice_gets_the_first_reminder_first(world, debtor):
    from invoices.batches import import_batch_confirm, import_batch_create
    from invoices.models import Invoice
    from tests.spreadsheets import csv_bytes

    content = csv_bytes(
        [
            ["number", "customer_ref", "issue_date", "due_date", "amount", "open_amount", "currency"],
            ["IMP-90", "BP-1", "2026-06-01", "2026-08-25", "800.00", "800.00", "EUR"],
        ]
    )
    batch = import_batch_create(
        organization=world.org_a, kind="invoices", content=content, filename="old.csv", actor=world.owner_a.user
    )
    assert import_batch_confirm(batch=batch, skip_invalid=False, actor=world.owner_a.user).imported
    run_pass(at(2026, 11, 23, 10, 0))
    assert subjects() == ["Betalingsherinnering – Acme Belgium"]
    assert Invoice.objects.get(number="IMP-90").next_follow_up_at == at(2026, 12, 7, 9, 0)


def test_a_late_entry_step_moved_before_the_due_date_is_ignored(world, debtor, three_steps):
    chosen = three_steps.steps.get(name="Second reminder")
    three_steps.late_entry_step = chosen
    three_steps.save()
    chosen.position, chosen.offset_days, chosen.purpose = 0, -3, "pre_due"  # edited into a "due soon" step later
    chosen.save()
    invoice(world, debtor, "L-93", date(2026, 8, 25))
    run_pass(at(2026, 11, 23, 10, 0))
    (first,) = Dispatch.objects.filter(customer=debtor)
    assert (first.step.name, first.schedule_from) == ("Reminder", date(2026, 11, 16))
    assert subjects() == ["Betalingsherinnering – Acme Belgium"]
