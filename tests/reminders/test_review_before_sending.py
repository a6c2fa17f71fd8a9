"""Review before sending: a plan's automatic messages wait for approval; approved ones go out exactly once."""

from __future__ import annotations

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from mailroom.models import StoredEmail
from messaging.delivery import deliver_one, due_dispatch_ids
from messaging.models import Dispatch, DispatchStatus, StepChannel
from messaging.sweep import sweep
from organizations.models import ActivityLog
from reminders.decide import decide_due_cross_tenant
from reminders.engine import explain
from reminders.models import FollowUpStep
from reminders.review import awaiting_approval, dispatches_approve, dispatches_postpone, dispatches_skip

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)


def at(*args):
    return datetime(*args, tzinfo=BRUSSELS)


def run_pass(now):
    decide_due_cross_tenant(now=now)
    for dispatch_id in due_dispatch_ids(now=now):
        deliver_one(dispatch_id=dispatch_id, now=now)


def mails_to(address):
    return [mail for mail in StoredEmail.objects.all() if address in mail.to]


def awaiting(world):
    return list(awaiting_approval(organization=world.org_a, now=MONDAY))


@pytest.mark.django_db
def test_a_reviewed_plans_message_waits_and_nothing_picks_it_up(world, reviewed):
    run_pass(MONDAY)
    (dispatch,) = Dispatch.objects.filter(customer=reviewed[1])
    assert dispatch.status == DispatchStatus.AWAITING_APPROVAL
    assert mails_to("jan@janssens.example") == []
    assert dispatch.pk not in due_dispatch_ids(now=at(2026, 12, 1, 10, 0))
    assert deliver_one(dispatch_id=dispatch.pk, now=at(2026, 12, 1, 10, 0)) is None  # the claim refuses it
    sweep(now=at(2026, 12, 1, 10, 0))
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.AWAITING_APPROVAL
    assert awaiting(world) == [dispatch]


@pytest.mark.django_db
def test_approving_twice_sends_once_in_the_next_sending_window(world, reviewed):
    run_pass(MONDAY)
    (dispatch,) = awaiting(world)
    evening = at(2026, 11, 23, 19, 0)  # after the window: it goes out the next morning
    first = dispatches_approve(
        organization=world.org_a, dispatch_ids=[dispatch.pk], actor=world.member_a.user, now=evening
    )
    second = dispatches_approve(
        organization=world.org_a, dispatch_ids=[dispatch.pk], actor=world.owner_a.user, now=evening
    )
    assert (first.done, second.done, second.unchanged) == ([dispatch.pk], [], [dispatch.pk])
    assert due_dispatch_ids(now=evening) == []
    for tick in (at(2026, 11, 24, 9, 0), at(2026, 11, 24, 9, 1), at(2026, 11, 25, 9, 0)):
        run_pass(tick)
    (mail,) = mails_to("jan@janssens.example")
    assert mail.subject == "Betalingsherinnering – Acme Belgium"
    dispatch.refresh_from_db()
    assert (dispatch.status, dispatch.sent_at) == (DispatchStatus.SENT, at(2026, 11, 24, 9, 0))
    (entry,) = ActivityLog.objects.filter(code="invoice.reminder_approved")
    assert (entry.actor_user, entry.subject_id) == (world.member_a.user, reviewed[2].pk)


@pytest.mark.django_db(transaction=True)
def test_two_people_approving_at_once_send_once(world, reviewed):
    run_pass(MONDAY)
    (dispatch,) = awaiting(world)
    barrier, results = threading.Barrier(2), []

    def approve(user):
        try:
            barrier.wait(timeout=10)
            results.append(
                dispatches_approve(organization=world.org_a, dispatch_ids=[dispatch.pk], actor=user, now=MONDAY)
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(user,)) for user in (world.owner_a.user, world.member_a.user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(len(result.done) for result in results) == [0, 1]
    assert ActivityLog.objects.filter(code="invoice.reminder_approved").count() == 1
    run_pass(MONDAY)
    run_pass(at(2026, 11, 23, 10, 5))
    assert len(mails_to("jan@janssens.example")) == 1


@pytest.mark.django_db
def test_skipping_sends_nothing_and_the_schedule_moves_on(world, reviewed):
    _plan, _customer, invoice = reviewed
    run_pass(MONDAY)
    (dispatch,) = awaiting(world)
    result = dispatches_skip(organization=world.org_a, dispatch_ids=[dispatch.pk], actor=world.owner_a.user)
    assert result.done == [dispatch.pk]
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.SKIPPED
    invoice.refresh_from_db()
    assert invoice.next_follow_up_at == at(2026, 12, 4, 9, 0)  # the second reminder (+21), as planned
    run_pass(at(2026, 11, 24, 10, 0))
    assert mails_to("jan@janssens.example") == [] and awaiting(world) == []
    assert dispatches_approve(organization=world.org_a, dispatch_ids=[dispatch.pk], actor=world.owner_a.user).done == []
    assert ActivityLog.objects.get(code="invoice.reminder_review_skipped").actor_user == world.owner_a.user
    # The next step: no reminder reached the invoice, so it does not speak of one.
    run_pass(at(2026, 12, 4, 9, 0))
    (second,) = awaiting_approval(organization=world.org_a, now=at(2026, 12, 4, 9, 0))
    assert (second.step.name, second.purpose) == ("Second reminder", "reminder_1")


@pytest.mark.django_db
def test_a_postponed_message_comes_back_on_its_day_and_goes_out_once(world, reviewed):
    run_pass(MONDAY)
    (dispatch,) = awaiting(world)
    dispatches_postpone(
        organization=world.org_a, dispatch_ids=[dispatch.pk], until=date(2026, 11, 26), actor=world.owner_a.user
    )
    assert awaiting(world) == []
    assert list(awaiting_approval(organization=world.org_a, now=at(2026, 11, 25, 23, 59))) == []
    assert list(awaiting_approval(organization=world.org_a, now=at(2026, 11, 26, 0, 0))) == [dispatch]
    run_pass(at(2026, 11, 26, 10, 0))
    assert mails_to("jan@janssens.example") == []  # still waiting for a person
    dispatches_approve(
        organization=world.org_a, dispatch_ids=[dispatch.pk], actor=world.owner_a.user, now=at(2026, 11, 26, 10, 0)
    )
    run_pass(at(2026, 11, 26, 10, 1))
    run_pass(at(2026, 11, 26, 10, 2))
    assert len(mails_to("jan@janssens.example")) == 1
    entry = ActivityLog.objects.get(code="invoice.reminder_postponed")
    assert entry.data["until"] == "2026-11-26"


@pytest.mark.django_db
def test_tasks_of_a_reviewed_plan_are_not_held(world, reviewed):
    plan, customer, invoice = reviewed
    FollowUpStep.objects.filter(plan=plan, name="Reminder").update(channel=StepChannel.TASK, purpose="")
    run_pass(MONDAY)
    (dispatch,) = Dispatch.objects.filter(customer=customer)
    assert dispatch.status == DispatchStatus.SENT  # the task was opened at once


@pytest.mark.django_db
def test_another_organizations_ids_change_nothing(world, reviewed):
    run_pass(MONDAY)
    (dispatch,) = awaiting(world)
    result = dispatches_approve(organization=world.org_b, dispatch_ids=[dispatch.pk], actor=world.owner_b.user)
    assert (result.done, result.unchanged) == ([], [dispatch.pk])
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.AWAITING_APPROVAL


@pytest.mark.django_db
def test_the_invoice_explanation_says_its_message_waits_for_approval(world, reviewed):
    invoice = reviewed[2]
    run_pass(MONDAY)
    invoice.refresh_from_db()
    explanation = explain(invoice)
    assert explanation.step.name == "Second reminder"
    assert "“Reminder” is waiting for approval on “To approve”." in explanation.notes


@pytest.mark.django_db
def test_a_later_reminder_overtakes_the_one_still_awaiting_approval_so_one_level_goes_out(world, reviewed):
    run_pass(MONDAY)
    (first,) = awaiting(world)
    friday = at(2026, 12, 4, 10, 0)  # +21: the second reminder is decided while the first still waits
    run_pass(friday)
    first.refresh_from_db()
    # Reasons are written in the organization's language (Dutch in the test world).
    assert first.status == DispatchStatus.SKIPPED
    assert first.reason == "Ingehaald door 2. Second reminder; niet verstuurd."
    (second,) = awaiting_approval(organization=world.org_a, now=friday)
    assert second.step.name == "Second reminder"
    (entry,) = ActivityLog.objects.filter(code="invoice.reminder_overtaken")
    assert (entry.subject_id, entry.data["dispatch"]) == (reviewed[2].pk, first.pk)
    assert entry.data["by"] == "2. Second reminder"
    # A reviewer approving both (a page loaded before) sends the latest level only, once.
    result = dispatches_approve(
        organization=world.org_a, dispatch_ids=[first.pk, second.pk], actor=world.owner_a.user, now=friday
    )
    assert (result.done, result.unchanged) == ([second.pk], [first.pk])
    for tick in (at(2026, 12, 4, 10, 1), at(2026, 12, 7, 9, 0)):
        run_pass(tick)
    (mail,) = mails_to("jan@janssens.example")
    assert mail.subject == "Tweede herinnering: betaling achterstallig – Acme Belgium"


@pytest.mark.django_db
def test_a_task_step_does_not_overtake_a_message_awaiting_approval(world, reviewed):
    run_pass(MONDAY)
    run_pass(at(2026, 12, 4, 10, 0))
    (second,) = awaiting_approval(organization=world.org_a, now=at(2026, 12, 4, 10, 0))
    run_pass(at(2026, 12, 14, 10, 0))  # +30: the plan's "Call" task for a person
    assert Dispatch.objects.filter(customer=reviewed[1], step__name="Call").exists()
    second.refresh_from_db()
    assert second.status == DispatchStatus.AWAITING_APPROVAL
