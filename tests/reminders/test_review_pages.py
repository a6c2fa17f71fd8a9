"""Follow-up > To approve, and the plan page's late-entry step and review switch."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from mailroom.models import StoredEmail
from messaging.models import Dispatch, DispatchStatus
from organizations.models import ActivityLog
from reminders.decide import decide_due_cross_tenant

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def two_waiting(world, reviewed):
    plan, customer, invoice = reviewed
    other = customer_create(
        organization=world.org_a, name="Studio Maes", language="nl", country="BE", follow_up_plan=plan
    )
    contact_create(customer=other, name="Els Maes", email="els@maes.example")
    invoice_create(
        organization=world.org_a,
        customer=other,
        number="SM-7",
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        amount=invoice.amount,
    )
    return sorted(decide_due_cross_tenant(now=MONDAY), key=lambda dispatch: dispatch.customer.name)


def url(world):
    return reverse("follow_up:to-approve", args=[world.org_a.slug])


def test_the_page_lists_what_to_whom_how_much_and_a_preview(world, client, two_waiting):
    client.force_login(world.member_a.user)
    page = client.get(url(world)).content.decode()
    assert "Atelier Janssens" in page and "Jan Janssens &lt;jan@janssens.example&gt;" in page
    assert "€1,250.00" in page.replace("\xa0", "")  # the money filter, in the reader's language
    assert "1. Reminder" in page and "AJ-100" in page
    assert "Betalingsherinnering – Acme Belgium" in page


def test_bulk_approve_of_the_ticked_rows_only(world, client, two_waiting):
    janssens, maes = two_waiting
    client.force_login(world.member_a.user)
    response = client.post(url(world), {"action": "approve", "ids": [janssens.pk, world.b.dispatch.pk]})
    assert response.status_code == 302
    statuses = dict(Dispatch.objects.filter(pk__in=[janssens.pk, maes.pk]).values_list("pk", "status"))
    assert statuses == {janssens.pk: DispatchStatus.QUEUED, maes.pk: DispatchStatus.AWAITING_APPROVAL}
    assert Dispatch.objects.get(pk=world.b.dispatch.pk).status == DispatchStatus.SENT  # another tenant's: untouched
    assert ActivityLog.objects.get(code="invoice.reminder_approved").actor_user == world.member_a.user
    page = client.get(url(world)).content.decode()
    assert "Studio Maes" in page and "Atelier Janssens" not in page


def shown(client, world) -> dict:
    """The hidden fields the page renders for "select all": what the reviewer saw."""
    page = client.get(url(world)).content.decode()
    return {name: page.split(f'name="{name}" value="')[1].split('"')[0] for name in ("cutoff", "shown_at")}


def test_select_all_skips_every_awaiting_message(world, client, two_waiting):
    client.force_login(world.owner_a.user)
    client.post(url(world), {"action": "skip", "select_all": "1", **shown(client, world)})
    assert set(Dispatch.objects.filter(pk__in=[d.pk for d in two_waiting]).values_list("status", flat=True)) == {
        DispatchStatus.SKIPPED
    }
    assert ActivityLog.objects.filter(code="invoice.reminder_review_skipped").count() == 2


def test_postpone_takes_a_typed_day_and_needs_one(world, client, two_waiting):
    client.force_login(world.owner_a.user)
    janssens = two_waiting[0]
    response = client.post(url(world), {"action": "postpone", "ids": [janssens.pk]})
    assert response.status_code == 400 and b"Choose the day the messages come back for review." in response.content
    client.post(url(world), {"action": "postpone", "ids": [janssens.pk], "until": "04-01-2099"})
    janssens.refresh_from_db()
    assert janssens.status == DispatchStatus.AWAITING_APPROVAL
    assert janssens.next_attempt_at == datetime(2099, 1, 4, 0, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    page = client.get(url(world)).content.decode()
    assert "Atelier Janssens" not in page and "1 postponed message will come back later." in page


def test_the_plan_page_offers_only_its_own_steps_as_late_entry(world, owner_a_client, reviewed):
    plan = reviewed[0]
    page = owner_a_client.get(reverse("follow_up:plan", args=[world.org_a.slug, plan.pk]))
    choices = [label for _value, label in page.context["form"].fields["late_entry_step"].choices]
    assert choices == ["The first reminder after the due date", "1. Reminder", "2. Second reminder", "3. Call"]
    assert "review_before_sending" in page.context["form"].fields


def plan_data(plan, **changes):
    steps = list(plan.steps.order_by("position"))
    data = {
        "name": plan.name,
        "grouping": plan.grouping,
        "fallback_channel": plan.fallback_channel,
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(len(steps)),
    }
    for index, step in enumerate(steps):
        data.update(
            {
                f"steps-{index}-id": str(step.pk),
                f"steps-{index}-name": step.name,
                f"steps-{index}-offset_days": str(step.offset_days),
                f"steps-{index}-channel": step.channel,
                f"steps-{index}-purpose": step.purpose,
            }
        )
    return {**data, **changes}


def test_saving_the_late_entry_step_and_the_review_switch_on_the_plan_page(world, owner_a_client, reviewed):
    plan = reviewed[0]
    second = plan.steps.get(name="Second reminder")
    target = reverse("follow_up:plan", args=[world.org_a.slug, plan.pk])
    response = owner_a_client.post(target, plan_data(plan, late_entry_step=str(second.pk)))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.late_entry_step, plan.review_before_sending) == (second, False)  # unticked: switched off
    elsewhere = world.a.plan.steps.create(organization=world.org_a, position=9, name="Elsewhere", offset_days=3)
    response = owner_a_client.post(target, plan_data(plan, late_entry_step=str(elsewhere.pk)))
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.late_entry_step == second


def test_a_message_whose_invoice_was_paid_meanwhile_says_so_and_sends_nothing(world, client, two_waiting):
    from invoices.services import payment_record
    from messaging.delivery import deliver_one

    janssens = two_waiting[0]
    payment_record(invoice=janssens.invoice, amount=janssens.invoice.amount, paid_on=janssens.invoice.due_date)
    client.force_login(world.owner_a.user)
    row = client.get(url(world)).content.decode().split(f'data-dispatch="{janssens.pk}"')[1].split("</tr>")[0]
    assert "Nothing owed any more: it will not be sent" in row
    client.post(url(world), {"action": "approve", "ids": [janssens.pk]})
    janssens.refresh_from_db()
    deliver_one(dispatch_id=janssens.pk, now=janssens.next_attempt_at)
    janssens.refresh_from_db()
    assert janssens.status == DispatchStatus.SKIPPED  # the delivery's re-check: paid before it went out
    assert not [mail for mail in StoredEmail.objects.all() if "jan@janssens.example" in mail.to]


def test_a_step_before_the_due_date_is_no_late_entry_choice_on_the_plan_page(world, owner_a_client, reviewed):
    plan = reviewed[0]
    before = plan.steps.create(
        organization=world.org_a, position=0, name="Due soon", offset_days=-3, channel="email", purpose="pre_due"
    )
    target = reverse("follow_up:plan", args=[world.org_a.slug, plan.pk])
    choices = [label for _value, label in owner_a_client.get(target).context["form"].fields["late_entry_step"].choices]
    assert "0. Due soon" not in choices and "1. Reminder" in choices
    response = owner_a_client.post(target, plan_data(plan, late_entry_step=str(before.pk)))
    assert response.status_code == 400
    plan.refresh_from_db()
    assert plan.late_entry_step is None


def test_select_all_leaves_alone_what_the_reviewer_never_saw(world, client, reviewed):
    from reminders.review import dispatches_postpone

    def waiting_customer(name, number, email):
        customer = customer_create(
            organization=world.org_a, name=name, language="nl", country="BE", follow_up_plan=reviewed[0]
        )
        contact_create(customer=customer, name=name, email=email)
        invoice_create(
            organization=world.org_a,
            customer=customer,
            number=number,
            issue_date=date(2026, 10, 1),
            due_date=date(2026, 11, 13),
            amount=Decimal("300.00"),
        )

    with time_machine.travel(MONDAY, tick=False):
        waiting_customer("Studio Maes", "SM-7", "els@maes.example")
        janssens, maes = sorted(decide_due_cross_tenant(now=MONDAY), key=lambda dispatch: dispatch.customer.name)
        dispatches_postpone(
            organization=world.org_a, dispatch_ids=[janssens.pk], until=date(2026, 11, 24), actor=world.owner_a.user
        )
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        client.force_login(world.owner_a.user)
        seen = shown(client, world)  # lists Studio Maes only; Janssens comes back tomorrow
    tuesday = MONDAY + timedelta(days=1)
    with time_machine.travel(tuesday, tick=False):
        waiting_customer("Drukkerij Claes", "DC-1", "lies@claes.example")
        (late,) = decide_due_cross_tenant(now=tuesday)  # decided after the page was shown
    with time_machine.travel(tuesday + timedelta(minutes=5), tick=False):
        client.force_login(world.owner_a.user)  # a day later: signed out for inactivity meanwhile
        response = client.post(url(world), {"action": "approve", "select_all": "1", **seen}, follow=True)
    assert "1 message approved" in response.content.decode()
    statuses = dict(Dispatch.objects.filter(pk__in=[janssens.pk, maes.pk, late.pk]).values_list("pk", "status"))
    assert statuses == {
        maes.pk: DispatchStatus.QUEUED,
        janssens.pk: DispatchStatus.AWAITING_APPROVAL,
        late.pk: DispatchStatus.AWAITING_APPROVAL,
    }


def test_select_all_from_a_page_without_its_cutoff_is_refused(world, client, two_waiting):
    client.force_login(world.owner_a.user)
    response = client.post(url(world), {"action": "approve", "select_all": "1"})
    assert response.status_code == 400
    assert b"The list has changed: reload the page and select again." in response.content
    assert set(Dispatch.objects.filter(pk__in=[d.pk for d in two_waiting]).values_list("status", flat=True)) == {
        DispatchStatus.AWAITING_APPROVAL
    }


def test_a_message_whose_invoice_direct_debit_took_over_says_so_as_the_delivery_would(world, client, two_waiting):
    """The preview re-checks what the delivery re-checks: an invoice a debit was requested for is not owed by mail."""
    from django.utils import timezone

    from invoices.models import Invoice

    janssens = two_waiting[0]
    Invoice.objects.filter(pk=janssens.invoice.pk).update(collection_requested_at=timezone.now())
    client.force_login(world.owner_a.user)
    row = client.get(url(world)).content.decode().split(f'data-dispatch="{janssens.pk}"')[1].split("</tr>")[0]
    assert "Nothing owed any more: it will not be sent" in row
