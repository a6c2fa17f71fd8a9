"""Follow-up and direct debit do not overlap: invoices under collection get no reminders, through the public
engine entry points; a customer who signs hands their open invoices over; the pre-notification goes out once."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from localized.dates import format_date
from mailroom.models import StoredEmail
from mandates.collection import batch_build, batch_cancel, batch_mark_submitted, debit_return
from mandates.messages import PRE_NOTIFICATION
from mandates.models import Mandate
from mandates.services import mandate_transition
from mandates.signals import mandate_ended, mandate_signed
from messaging.delivery import deliver_one, due_dispatch_ids
from messaging.models import Dispatch, DispatchStatus
from organizations.models import ActivityLog
from reminders.decide import decide_due_cross_tenant
from reminders.engine import explain
from reminders.follow_up_messages import FOLLOW_UP

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=BRUSSELS)  # a Wednesday, inside the sending window


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def overdue(world, dunning, make_customer, make_invoice):
    """An invoice whose reminder (due date + 7 days) is due now."""
    customer = make_customer()
    invoice = make_invoice(customer, due=date(2026, 11, 24))
    invoice.refresh_from_db()
    assert invoice.next_follow_up_at is not None and invoice.next_follow_up_at <= NOW
    return invoice


def run_followups() -> str:
    out = StringIO()
    call_command("run_followups", now=NOW.isoformat(), stdout=out)
    return out.getvalue()


def reminders_for(invoice):
    return Dispatch.objects.filter(items__invoice=invoice, kind=FOLLOW_UP)


def test_engine_skips_an_invoice_whose_direct_debit_is_requested(world, profile, sign, overdue):
    profile.collect_on_signing = False
    profile.save()
    sign(overdue.customer)
    overdue.refresh_from_db()
    assert explain(overdue).step is not None  # signed, but this profile does not take invoices over on signing
    batch_build(organization=world.org_a, profile=profile)
    overdue.refresh_from_db()
    assert overdue.next_follow_up_at is None
    assert explain(overdue).reason == "A direct debit has been requested: follow-up waits for the collection."
    assert decide_due_cross_tenant(now=NOW) == []
    run_followups()
    assert not reminders_for(overdue).exists()


def test_due_query_skips_requested_invoices_even_with_a_stale_schedule(world, profile, sign, overdue):
    profile.collect_on_signing = False
    profile.save()
    sign(overdue.customer)
    batch_build(organization=world.org_a, profile=profile)
    type(overdue).objects.filter(pk=overdue.pk).update(next_follow_up_at=NOW)  # as if computed before the batch
    assert decide_due_cross_tenant(now=NOW) == []


def test_reminder_decided_before_the_batch_is_skipped_at_send_time(world, english_staff, profile, sign, overdue):
    profile.collect_on_signing = False
    profile.save()
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    mails_before = StoredEmail.objects.count()
    sign(overdue.customer)
    batch_build(organization=world.org_a, profile=profile)
    deliver_one(dispatch_id=dispatch.pk, now=NOW)
    dispatch.refresh_from_db()
    assert (dispatch.status, dispatch.reason) == (DispatchStatus.SKIPPED,
                                                  "Moved to direct-debit collection before it went out.")  # fmt: skip
    assert StoredEmail.objects.count() == mails_before


def test_returned_debit_goes_back_to_dunning_and_the_engine_sends_the_reminder(world, profile, sign, overdue):
    sign(overdue.customer)
    batch = batch_build(organization=world.org_a, profile=profile)
    batch_mark_submitted(batch=batch)
    debit_return(item=batch.items.get(), reason_code="AM04")
    overdue.refresh_from_db()
    assert overdue.next_follow_up_at is not None
    run_followups()
    assert reminders_for(overdue).get().status == DispatchStatus.SENT


def test_signing_hands_open_invoices_over_to_collection(world, profile, sign, overdue):
    mandate = sign(overdue.customer)
    mandate_signed.send(sender=Mandate, mandate=mandate, actor=None)
    overdue.refresh_from_db()
    assert overdue.next_follow_up_at is None
    assert explain(overdue).reason == "Waiting for direct-debit collection: the customer signed a SEPA mandate."
    entry = ActivityLog.objects.get(code="customer.collection_handover", subject_id=overdue.customer_id)
    assert entry.data["invoices"] == 1 and entry.data["mandate"] == mandate.reference
    assert decide_due_cross_tenant(now=NOW) == []
    # The next batch collects it.
    assert batch_build(organization=world.org_a, profile=profile).items.get().invoice_id == overdue.pk


def test_signing_under_a_profile_that_does_not_collect_on_signing_keeps_dunning(world, profile, sign, overdue):
    profile.collect_on_signing = False
    profile.save()
    mandate = sign(overdue.customer)
    mandate_signed.send(sender=Mandate, mandate=mandate, actor=None)
    overdue.refresh_from_db()
    assert overdue.next_follow_up_at is not None
    assert not ActivityLog.objects.filter(code="customer.collection_handover").exists()
    assert len(decide_due_cross_tenant(now=NOW)) == 1


def test_ended_mandate_sends_waiting_invoices_back_to_dunning(world, profile, sign, overdue):
    mandate = sign(overdue.customer)
    mandate_signed.send(sender=Mandate, mandate=mandate, actor=None)
    mandate_transition(mandate=mandate, to="cancelled", cancel_reason="Debtor asked")
    mandate_ended.send(sender=Mandate, mandate=mandate, actor=None)
    overdue.refresh_from_db()
    assert overdue.next_follow_up_at is not None and explain(overdue).step is not None


def test_pre_notification_lists_the_invoices_date_mandate_and_creditor(world, profile, sign, make_customer,
                                                                       make_invoice):  # fmt: skip
    customer = make_customer(email="camille@lumen.example")
    mandate = sign(customer)
    first, second = make_invoice(customer, amount="121.00"), make_invoice(customer, amount="50.00")
    batch = batch_build(organization=world.org_a, profile=profile)
    run_followups()
    run_followups()  # a repeated pass sends nothing twice
    (mail,) = [m for m in StoredEmail.objects.all() if "camille@lumen.example" in m.to]
    # An English reader of a Belgian organization: `7 December 2026`, `€171.00`.
    collection_date = format_date(batch.collection_date, style="long", language="en", country="BE")
    assert mail.subject.startswith("Notice of SEPA direct debit")
    for text in (first.number, second.number, "€171.00", collection_date, mandate.reference, profile.creditor_id):
        assert text in mail.text_body
    assert collection_date in mail.html_body
    dispatch = Dispatch.objects.get(kind=PRE_NOTIFICATION, customer=customer)
    assert dispatch.status == DispatchStatus.SENT
    assert ActivityLog.objects.filter(code="pre_notification.sent", subject_id=customer.pk).exists()


def test_pre_notification_in_the_customers_language(world, profile, sign, make_customer, make_invoice):
    customer = make_customer(language="nl", email="jan@lumen.example")
    sign(customer)
    make_invoice(customer)
    batch = batch_build(organization=world.org_a, profile=profile)
    run_followups()
    (mail,) = [m for m in StoredEmail.objects.all() if "jan@lumen.example" in m.to]
    assert mail.subject.startswith("Aankondiging SEPA-incasso")
    assert "Incassodatum" in mail.text_body and batch.items.get().invoice.number in mail.text_body


def test_pre_notification_of_a_cancelled_batch_is_not_sent(
    world, english_staff, profile, sign, make_customer, make_invoice
):
    customer = make_customer()
    sign(customer)
    make_invoice(customer)
    batch = batch_build(organization=world.org_a, profile=profile)
    batch_cancel(batch=batch)
    for dispatch_id in due_dispatch_ids(now=NOW):
        deliver_one(dispatch_id=dispatch_id, now=NOW)
    dispatch = Dispatch.objects.get(kind=PRE_NOTIFICATION, customer=customer)
    assert (dispatch.status, dispatch.reason) == (DispatchStatus.SKIPPED, "The direct-debit batch was cancelled.")
    assert not StoredEmail.objects.filter(subject__startswith="Notice of SEPA").exists()
