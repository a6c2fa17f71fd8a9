"""Delivering a batch: one claim for all, attempts committed before the provider is called, each message
classified on its own, and every crash window leaves rows the sweeper reconciles without a repeat.

The provider is the database mail store (mailroom), reached through small backends that fail the way a
provider or a dying worker does: a refused connection for one message, a process that stops mid-batch.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from customers.services import contact_create, customer_create
from invoices.services import invoice_create, payment_record
from mailroom.backends import DatabaseEmailBackend
from mailroom.models import StoredEmail
from messaging.delivery import BACKOFF, LEASE, claim_many, deliver_many
from messaging.models import AttemptOutcome, DeliveryAttempt, Dispatch, DispatchStatus
from messaging.sweep import sweep
from messaging.transports import message_id
from organizations.models import ActivityLog
from reminders.decide import decide_due_cross_tenant

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
LATER = NOW + LEASE + timedelta(minutes=1)
STORE = "mailroom.backends.DatabaseEmailBackend"


class CountingBackend(DatabaseEmailBackend):
    """The store, counting how often a connection is opened."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()


class RefusingOne(DatabaseEmailBackend):
    """A provider whose door is shut for one recipient's message (before it could accept anything)."""

    refused = "b@debtors.example"

    def send_messages(self, email_messages):
        for message in email_messages:
            if self.refused in message.to:
                raise ConnectionRefusedError(111, "Connection refused")
        return super().send_messages(email_messages)


class DiesOnSecond(DatabaseEmailBackend):
    """The worker process stops (SIGTERM-like) while handing over the second message of the batch."""

    calls = 0

    def send_messages(self, email_messages):
        type(self).calls += 1
        if type(self).calls == 2:
            raise SystemExit("worker stopped")
        return super().send_messages(email_messages)


@pytest.fixture
def batch(world, plan):
    """Three customers, each with an invoice due in three days: three pre-due reminders decided at NOW."""
    for letter in "abc":
        customer = customer_create(organization=world.org_a, name=f"Debtor {letter.upper()}", language="en",
                                   country="BE")  # fmt: skip
        contact_create(customer=customer, name=f"Contact {letter}", email=f"{letter}@debtors.example")
        invoice_create(organization=world.org_a, customer=customer, number=f"B-{letter}", issue_date=date(2026, 10, 1),
                       due_date=date(2026, 12, 7), amount=Decimal("300.00"))  # fmt: skip
    dispatches = decide_due_cross_tenant(now=NOW)
    assert len(dispatches) == 3
    return sorted(dispatch.pk for dispatch in dispatches)


def stored(dispatch_id: int) -> int:
    return StoredEmail.objects.filter(message_id=message_id(Dispatch.objects.get(pk=dispatch_id))).count()


def statuses(ids: list[int]) -> list[str]:
    return [Dispatch.objects.get(pk=pk).status for pk in ids]


def test_a_batch_is_sent_over_one_connection_and_booked_with_its_history(batch, settings):
    settings.EMAIL_BACKEND = "tests.reminders.test_batch_delivery.CountingBackend"
    CountingBackend.opened = 0
    assert [dispatch.pk for dispatch in deliver_many(dispatch_ids=batch, now=NOW)] == batch
    assert statuses(batch) == [DispatchStatus.SENT] * 3
    assert [stored(pk) for pk in batch] == [1, 1, 1]
    assert CountingBackend.opened == 1
    assert DeliveryAttempt.objects.filter(dispatch_id__in=batch, outcome=AttemptOutcome.SENT).count() == 3
    sent = Dispatch.objects.get(pk=batch[0])
    assert sent.recipients == ["a@debtors.example"] and sent.subject  # the content as sent is kept
    assert ActivityLog.objects.filter(code="invoice.reminder_sent").count() == 3
    invoice = sent.items.get().invoice
    assert invoice.last_follow_up_at == NOW and invoice.follow_up_level == 1


def test_a_batch_delivered_twice_sends_nothing_twice(batch):
    deliver_many(dispatch_ids=batch, now=NOW)
    assert deliver_many(dispatch_ids=batch, now=NOW) == []  # a redelivered broker message claims nothing
    assert [stored(pk) for pk in batch] == [1, 1, 1]


def test_overlapping_batches_claim_each_dispatch_once(batch):
    assert claim_many(dispatch_ids=batch[:2], now=NOW) == batch[:2]
    assert claim_many(dispatch_ids=batch[1:], now=NOW) == batch[2:]
    assert Dispatch.objects.get(pk=batch[1]).attempts == 1


def test_one_refused_message_is_retried_and_the_others_are_sent(batch, settings):
    settings.EMAIL_BACKEND = "tests.reminders.test_batch_delivery.RefusingOne"
    deliver_many(dispatch_ids=batch, now=NOW)
    assert statuses(batch) == [DispatchStatus.SENT, DispatchStatus.QUEUED, DispatchStatus.SENT]
    retried = Dispatch.objects.get(pk=batch[1])
    assert retried.next_attempt_at == NOW + BACKOFF[0] and "Connection refused" in retried.reason
    assert retried.delivery_attempts.get().outcome == AttemptOutcome.TRANSIENT
    settings.EMAIL_BACKEND = STORE
    deliver_many(dispatch_ids=batch, now=NOW + BACKOFF[0])
    assert statuses(batch) == [DispatchStatus.SENT] * 3
    assert [stored(pk) for pk in batch] == [1, 1, 1]


def test_a_paid_invoice_in_a_batch_is_skipped_and_the_others_are_sent(batch):
    paid = Dispatch.objects.get(pk=batch[2]).items.get().invoice
    payment_record(invoice=paid, amount=paid.amount, paid_on=date(2026, 12, 4))
    deliver_many(dispatch_ids=batch, now=NOW)
    assert statuses(batch) == [DispatchStatus.SENT, DispatchStatus.SENT, DispatchStatus.SKIPPED]
    assert stored(batch[2]) == 0


def test_killed_after_claiming_before_the_attempts_is_requeued_and_sent_once(batch):
    assert claim_many(dispatch_ids=batch, now=NOW) == batch  # then the process died
    assert sweep(now=LATER) == {"requeued": 3, "proven_sent": 0, "uncertain": 0}
    deliver_many(dispatch_ids=batch, now=LATER)
    assert statuses(batch) == [DispatchStatus.SENT] * 3
    assert [stored(pk) for pk in batch] == [1, 1, 1]


def test_killed_mid_batch_after_the_attempts_asks_the_provider_and_sends_the_rest_once(batch, settings):
    settings.EMAIL_BACKEND = "tests.reminders.test_batch_delivery.DiesOnSecond"
    DiesOnSecond.calls = 0
    with pytest.raises(SystemExit):
        deliver_many(dispatch_ids=batch, now=NOW)
    # Every attempt was committed before the first provider call; only the first message reached it.
    assert statuses(batch) == [DispatchStatus.SENDING] * 3
    assert DeliveryAttempt.objects.filter(dispatch_id__in=batch, outcome=AttemptOutcome.STARTED).count() == 3
    assert [stored(pk) for pk in batch] == [1, 0, 0]
    settings.EMAIL_BACKEND = STORE  # the restarted worker; the sweeper asks the store by Message-ID
    assert sweep(now=LATER) == {"requeued": 2, "proven_sent": 1, "uncertain": 0}
    deliver_many(dispatch_ids=batch, now=LATER)
    assert statuses(batch) == [DispatchStatus.SENT] * 3
    assert [stored(pk) for pk in batch] == [1, 1, 1]
