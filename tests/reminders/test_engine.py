"""The follow-up engine with frozen time: what goes out, when, and what never goes out."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from customers.services import contact_mark_email_bounced, customer_create, customer_pause_follow_up
from invoices.models import Invoice
from invoices.services import invoice_change_status, payment_record
from mailroom.models import StoredEmail
from messaging.delivery import deliver_one, due_dispatch_ids
from messaging.models import Dispatch, DispatchStatus
from reminders.decide import decide_due_cross_tenant
from reminders.engine import explain, settings_for
from reminders.models import Grouping, Task

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")


def at(*args, zone=BRUSSELS):
    return datetime(*args, tzinfo=zone)


def run_pass(now):
    """One decide + deliver pass, as the tick does it."""
    decided = decide_due_cross_tenant(now=now)
    for dispatch_id in due_dispatch_ids(now=now):
        deliver_one(dispatch_id=dispatch_id, now=now)
    return decided


def sent_to(address):
    return [mail for mail in StoredEmail.objects.all() if address in mail.to]


def test_friendly_reminder_goes_out_three_days_before_the_due_date(world, make_invoice):
    world.org_a.reply_to_email = "credit@acme.example"
    world.org_a.save()
    invoice = make_invoice("F-1", date(2026, 12, 7))  # Monday
    invoice.refresh_from_db()
    assert invoice.next_follow_up_at == at(2026, 12, 4, 9, 0)  # the Friday before, at opening time
    assert run_pass(at(2026, 12, 4, 8, 59)) == []
    run_pass(at(2026, 12, 4, 9, 0))
    (mail,) = sent_to("camille@lumen.example")
    assert "F-1" in mail.text_body and mail.metadata["organization_id"] == world.org_a.pk
    assert mail.reply_to == ["credit@acme.example"]
    invoice.refresh_from_db()
    assert (invoice.follow_up_level, invoice.next_follow_up_at) == (1, at(2026, 12, 14, 9, 0))


def test_repeated_and_concurrent_ticks_decide_nothing_twice(world, make_invoice):
    make_invoice("F-2", date(2026, 12, 7))
    now = at(2026, 12, 4, 10, 0)
    first = decide_due_cross_tenant(now=now)
    second = decide_due_cross_tenant(now=now)
    assert len(first) == 1 and second == []
    for dispatch_id in due_dispatch_ids(now=now) * 2:  # a duplicated broker message
        deliver_one(dispatch_id=dispatch_id, now=now)
    assert len(sent_to("camille@lumen.example")) == 1


def test_a_step_whose_message_failed_is_not_decided_again(world, make_invoice):
    """A failed message does not count as a reached level, but its (invoice, step) row exists: the tick inserts
    nothing (rather than stop), and the invoice's schedule moves on to the next step instead of staying due."""
    invoice = make_invoice("F-2b", date(2026, 12, 7))
    now = at(2026, 12, 4, 10, 0)
    (dispatch,) = decide_due_cross_tenant(now=now)
    Dispatch.objects.filter(pk=dispatch.pk).update(status=DispatchStatus.FAILED)
    type(invoice).objects.filter(pk=invoice.pk).update(next_follow_up_at=now)
    assert decide_due_cross_tenant(now=now) == []
    assert Dispatch.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert invoice.next_follow_up_at == at(2026, 12, 14, 9, 0)  # the reminder at +7, not the failed step again
    assert explain(invoice).step.name == "Reminder"


def test_payment_between_deciding_and_delivering_sends_nothing(world, make_invoice):
    invoice = make_invoice("F-3", date(2026, 12, 7))
    now = at(2026, 12, 4, 9, 0)
    decide_due_cross_tenant(now=now)
    payment_record(invoice=invoice, amount=invoice.amount, paid_on=date(2026, 12, 4))
    for dispatch_id in due_dispatch_ids(now=now):
        deliver_one(dispatch_id=dispatch_id, now=now)
    assert sent_to("camille@lumen.example") == []
    dispatch = Dispatch.objects.get(invoice=invoice)
    assert (dispatch.status, dispatch.reason) == (DispatchStatus.SKIPPED, "Paid before it went out.")


def test_partial_payment_is_reflected_in_the_reminder(world, make_invoice):
    invoice = make_invoice("F-4", date(2026, 11, 30), amount="1000.00")
    payment_record(invoice=invoice, amount=Decimal("400.00"), paid_on=date(2026, 12, 1))
    run_pass(at(2026, 12, 7, 9, 30))  # +7: the reminder (the pre-due step's day has passed: it is skipped over)
    mail = sent_to("camille@lumen.example")[-1]
    assert "600,00" in mail.text_body.replace("\xa0", " ") and "1000,00" not in mail.text_body.replace("\xa0", "")


def test_grouped_message_lists_every_invoice_that_reached_the_step(world, make_invoice):
    make_invoice("G-1", date(2026, 11, 2))
    make_invoice("G-2", date(2026, 11, 10))
    make_invoice("G-3", date(2026, 12, 20))  # not yet at this step
    run_pass(at(2026, 11, 20, 10, 0))
    (mail,) = sent_to("camille@lumen.example")
    assert "G-1" in mail.text_body and "G-2" in mail.text_body and "G-3" not in mail.text_body
    assert Dispatch.objects.filter(customer__name="Lumen Design SRL").count() == 1


def test_a_plan_per_invoice_sends_one_message_per_due_invoice_and_skips_a_paused_one(world, plan, make_invoice):
    plan.grouping = Grouping.PER_INVOICE
    plan.save()
    make_invoice("P-1", date(2026, 11, 2))
    make_invoice("P-2", date(2026, 11, 10))
    paused = make_invoice("P-3", date(2026, 11, 10))
    # Paused behind the scheduler's back: its next_follow_up_at still says it is due.
    Invoice.objects.filter(pk=paused.pk).update(follow_up_paused=True)
    decisions = decide_due_cross_tenant(now=at(2026, 11, 20, 10, 0), dry_run=True)
    listed = sorted([invoice_id for decision in decisions for invoice_id, _ in decision.listed])
    assert listed == sorted(Invoice.objects.filter(number__in=["P-1", "P-2"]).values_list("pk", flat=True))
    assert all(len(decision.listed) == 1 for decision in decisions)
    run_pass(at(2026, 11, 20, 10, 0))
    mails = sent_to("camille@lumen.example")
    assert len(mails) == 2 and not any("P-3" in mail.text_body for mail in mails)


def test_a_customer_whose_oldest_invoice_reached_no_step_gets_nothing(world, make_invoice):
    young = make_invoice("Y-1", date(2026, 12, 20))
    Invoice.objects.filter(pk=young.pk).update(next_follow_up_at=at(2026, 11, 20, 9, 0))  # a stale schedule
    assert decide_due_cross_tenant(now=at(2026, 11, 20, 10, 0)) == []
    young.refresh_from_db()
    assert young.next_follow_up_at == at(2026, 12, 17, 9, 0)  # rescheduled to its friendly reminder


def test_steps_falling_on_a_weekend_wait_for_monday(world, make_invoice):
    invoice = make_invoice("W-1", date(2026, 11, 21))  # friendly reminder Wednesday 18th; +7 = Saturday 28th
    run_pass(at(2026, 11, 18, 9, 0))
    invoice.refresh_from_db()
    assert invoice.next_follow_up_at == at(2026, 11, 30, 9, 0)


def test_belgian_and_dutch_holidays_follow_the_debtors_country(world, plan, make_invoice):
    belgian = make_invoice("H-1", date(2026, 11, 14))
    belgian.refresh_from_db()
    # Pre-due of a 14 November due date is Wednesday 11 November: Armistice Day in Belgium.
    assert belgian.next_follow_up_at == at(2026, 11, 12, 9, 0)
    dutch = customer_create(organization=world.org_a, name="Polder BV", country="NL", language="nl")
    other = make_invoice("H-2", date(2026, 11, 14), customer=dutch)
    other.refresh_from_db()
    assert other.next_follow_up_at == at(2026, 11, 11, 9, 0)


def test_nine_oclock_survives_the_change_to_winter_time(world, make_invoice):
    before = make_invoice("D-1", date(2026, 10, 26))  # pre-due Friday 23 October, summer time
    after = make_invoice("D-2", date(2026, 10, 29))  # pre-due Monday 26 October, winter time
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.next_follow_up_at.astimezone(ZoneInfo("UTC")).hour == 7
    assert after.next_follow_up_at.astimezone(ZoneInfo("UTC")).hour == 8


def test_switching_automatic_sending_off_stops_everything(world, make_invoice):
    make_invoice("K-1", date(2026, 12, 7))
    follow_up = settings_for(world.org_a)
    follow_up.sending_enabled = False
    follow_up.save()
    assert run_pass(at(2026, 12, 4, 9, 0)) == []
    assert sent_to("camille@lumen.example") == []


def test_test_mode_renders_and_records_without_sending(world, make_invoice):
    make_invoice("T-1", date(2026, 12, 7))
    follow_up = settings_for(world.org_a)
    follow_up.test_mode = True
    follow_up.save()
    run_pass(at(2026, 12, 4, 9, 0))
    dispatch = Dispatch.objects.get(manual=False)
    assert dispatch.status == DispatchStatus.TEST and "T-1" in dispatch.text_body
    assert dispatch.recipients == ["camille@lumen.example"]
    assert sent_to("camille@lumen.example") == []


def test_bounced_address_fails_and_opens_a_task_for_the_account_manager(world, debtor, make_invoice):
    make_invoice("B-1", date(2026, 12, 7))
    contact_mark_email_bounced(contact=debtor.contacts.get(), detail="550 mailbox unavailable")
    run_pass(at(2026, 12, 4, 9, 0))
    dispatch = Dispatch.objects.get(manual=False)
    assert dispatch.status == DispatchStatus.FAILED
    task = Task.objects.get(dispatch=dispatch)
    assert task.assigned_to == world.manager_a and "valid e-mail" in task.title


def test_disputed_invoice_is_skipped(world, make_invoice):
    invoice = make_invoice("S-1", date(2026, 12, 7))
    decide_due_cross_tenant(now=at(2026, 12, 4, 9, 0))
    invoice_change_status(invoice=invoice, status="disputed", reason="Wrong quantity")
    for dispatch_id in due_dispatch_ids(now=at(2026, 12, 4, 9, 0)):
        deliver_one(dispatch_id=dispatch_id, now=at(2026, 12, 4, 9, 0))
    assert Dispatch.objects.get(manual=False).reason == "Disputed before it went out."


def test_a_message_that_could_not_go_out_in_time_is_missed_not_sent_late(world, make_invoice):
    make_invoice("M-1", date(2026, 12, 7))
    decide_due_cross_tenant(now=at(2026, 12, 4, 9, 0))
    for dispatch_id in due_dispatch_ids(now=at(2026, 12, 10, 9, 0)):
        deliver_one(dispatch_id=dispatch_id, now=at(2026, 12, 10, 9, 0))
    assert Dispatch.objects.get(manual=False).status == DispatchStatus.MISSED
    assert sent_to("camille@lumen.example") == []


def test_paused_customer_gets_nothing_until_the_pause_ends(world, debtor, make_invoice):
    invoice = make_invoice("P-1", date(2026, 12, 7))
    customer_pause_follow_up(customer=debtor, until=date(2026, 12, 10), reason="Promised to pay")
    invoice.refresh_from_db()
    assert invoice.next_follow_up_at == at(2026, 12, 11, 9, 0)


def test_a_task_step_creates_an_action_for_the_account_manager(world, plan, make_invoice):
    plan.late_entry_step = plan.steps.get(name="Call the customer")  # late arrivals start with a call
    plan.save()
    make_invoice("C-1", date(2026, 10, 1))  # 53 days overdue when it arrives: the call step is due
    run_pass(at(2026, 11, 23, 10, 0))
    task = Task.objects.get(title__startswith="Call the customer")
    assert task.assigned_to == world.manager_a
    assert sent_to("camille@lumen.example") == []  # no burst of the four earlier e-mails


def test_an_invoice_entering_follow_up_late_starts_with_the_first_reminder(world, make_invoice):
    make_invoice("J-1", date(2026, 10, 25))  # 29 days overdue on 23 November: past the second reminder (+21)
    run_pass(at(2026, 11, 23, 10, 0))
    (dispatch,) = Dispatch.objects.filter(manual=False)
    assert (dispatch.step.name, dispatch.status) == ("Reminder", DispatchStatus.SENT)


def test_run_followups_prints_a_dry_run_and_writes_nothing(world, make_invoice):
    make_invoice("R-1", date(2026, 12, 7))
    out = StringIO()
    call_command("run_followups", "--now", "2026-12-04T09:00:00+01:00", "--dry-run", stdout=out)
    assert "R-1" in out.getvalue() and "dry run" in out.getvalue()
    assert not Dispatch.objects.filter(manual=False).exists()
    call_command("run_followups", "--now", "2026-12-04T09:00:00+01:00", stdout=out)
    assert len(sent_to("camille@lumen.example")) == 1


def test_an_invoice_listed_in_a_grouped_message_that_failed_moves_on_with_its_group(world, make_invoice):
    """The message of a grouped plan is keyed on its oldest invoice; the others it listed carried the step too, so
    their schedule and explanation move on to the next step instead of showing the failed one as due (in the past)."""
    from reminders.engine import reschedule

    oldest, younger = make_invoice("G-1", date(2026, 11, 2)), make_invoice("G-2", date(2026, 11, 10))
    run_pass(at(2026, 11, 20, 10, 0))
    dispatch = Dispatch.objects.get(customer__name="Lumen Design SRL")
    assert dispatch.invoice_id == oldest.pk and dispatch.step.name == "Reminder"
    Dispatch.objects.filter(pk=dispatch.pk).update(status=DispatchStatus.FAILED)
    reschedule(invoice_ids=[oldest.pk, younger.pk])
    younger.refresh_from_db()
    assert explain(younger).step.name == "Second reminder"
    assert younger.next_follow_up_at == at(2026, 12, 1, 9, 0)  # 10 November + 21 days, not the failed step again
