"""A worker that dies mid-delivery: the sweeper retries only what provably was not sent."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailroom.models import StoredEmail
from messaging.delivery import LEASE, check_lease_outlasts_tasks, claim_many, deliver_one
from messaging.models import AttemptOutcome, DeliveryAttempt, Dispatch, DispatchStatus
from messaging.sweep import _sweep_one, sweep
from messaging.transports import message_id
from reminders.decide import decide_due_cross_tenant

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
LATER = NOW + LEASE + timedelta(minutes=1)


@pytest.fixture
def decided(world, make_invoice):
    make_invoice("X-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    return dispatch


def test_died_after_claiming_before_recording_the_attempt_is_retried(decided):
    assert claim_many(dispatch_ids=[decided.pk], now=NOW) == [decided.pk]
    assert sweep(now=LATER) == {"requeued": 1, "proven_sent": 0, "uncertain": 0}
    deliver_one(dispatch_id=decided.pk, now=LATER)
    assert Dispatch.objects.get(pk=decided.pk).status == DispatchStatus.SENT
    assert StoredEmail.objects.filter(message_id=message_id(decided)).count() == 1


def test_died_after_the_provider_accepted_is_booked_as_sent_not_sent_again(decided):
    deliver_one(dispatch_id=decided.pk, now=NOW)
    # Rewind the bookkeeping to "attempt started, outcome never written", as if the worker died there.
    Dispatch.objects.filter(pk=decided.pk).update(status=DispatchStatus.SENDING, claimed_at=NOW, sent_at=None)
    DeliveryAttempt.objects.filter(dispatch=decided).update(outcome=AttemptOutcome.STARTED)
    assert sweep(now=LATER) == {"requeued": 0, "proven_sent": 1, "uncertain": 0}
    assert Dispatch.objects.get(pk=decided.pk).status == DispatchStatus.SENT
    assert StoredEmail.objects.filter(message_id=message_id(decided)).count() == 1


def test_died_while_an_external_provider_was_called_is_left_for_a_person(decided, settings):
    assert claim_many(dispatch_ids=[decided.pk], now=NOW) == [decided.pk]
    DeliveryAttempt.objects.create(organization=decided.organization, dispatch=decided, number=1)
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    assert sweep(now=LATER)["uncertain"] == 1
    dispatch = Dispatch.objects.get(pk=decided.pk)
    assert dispatch.status == DispatchStatus.UNCERTAIN and dispatch.task.title.startswith("Check whether")


def test_a_claim_is_taken_once(decided):
    assert claim_many(dispatch_ids=[decided.pk], now=NOW) == [decided.pk]
    assert claim_many(dispatch_ids=[decided.pk], now=NOW) == []


def test_the_store_keeps_one_copy_of_a_repeated_message(decided):
    deliver_one(dispatch_id=decided.pk, now=NOW)
    Dispatch.objects.filter(pk=decided.pk).update(status=DispatchStatus.QUEUED)  # a mistaken second delivery
    deliver_one(dispatch_id=decided.pk, now=NOW)
    assert StoredEmail.objects.filter(message_id=message_id(decided)).count() == 1


def test_an_error_after_the_attempt_was_recorded_is_left_for_reconciliation(decided, monkeypatch):
    from messaging import delivery

    def booking_fails(*args, **kwargs):
        raise RuntimeError("database went away while booking")

    monkeypatch.setattr(delivery, "mark_sent_many", booking_fails)
    deliver_one(dispatch_id=decided.pk, now=NOW)
    assert Dispatch.objects.get(pk=decided.pk).status == DispatchStatus.SENDING  # not queued for a blind retry
    monkeypatch.undo()
    assert sweep(now=LATER)["proven_sent"] == 1
    assert StoredEmail.objects.filter(message_id=message_id(decided)).count() == 1


def test_a_second_sweeper_acting_on_an_old_view_leaves_the_fresh_claim_alone(decided):
    """Two ticks overlap and both sweepers read the same stuck claim. The first requeues it, a worker claims it
    afresh and is calling the provider; the second sweeper, acting on what it read before, must not requeue that
    new claim: another worker would then send the message a second time."""
    assert claim_many(dispatch_ids=[decided.pk], now=NOW) == [decided.pk]  # the worker died after claiming
    read_by_the_second = Dispatch.objects.select_related("organization", "customer", "step").get(pk=decided.pk)
    assert sweep(now=LATER)["requeued"] == 1
    assert claim_many(dispatch_ids=[decided.pk], now=LATER) == [decided.pk]
    DeliveryAttempt.objects.create(organization=decided.organization, dispatch=decided, number=2)

    counts = {"requeued": 0, "proven_sent": 0, "uncertain": 0}
    _sweep_one(read_by_the_second, LATER, counts)

    fresh = Dispatch.objects.get(pk=decided.pk)
    assert (fresh.status, fresh.attempts, fresh.claimed_at) == (DispatchStatus.SENDING, 2, LATER)
    assert counts == {"requeued": 0, "proven_sent": 0, "uncertain": 0}
    assert sweep(now=LATER + timedelta(seconds=1)) == counts  # the fresh claim is nobody's to sweep yet


def test_a_lease_no_longer_than_the_task_time_limit_is_refused(settings):
    settings.FOLLOW_UP_LEASE_SECONDS, settings.CELERY_TASK_TIME_LIMIT = 600, 600
    assert [error.id for error in check_lease_outlasts_tasks(None)] == ["reminders.E002"]
    settings.FOLLOW_UP_LEASE_SECONDS = 601
    assert check_lease_outlasts_tasks(None) == []
