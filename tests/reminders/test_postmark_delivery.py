"""Delivery through anymail's real Postmark backend, talking HTTP to a fake Postmark on loopback."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from customers.services import contact_create
from messaging.delivery import deliver_one
from messaging.models import AttemptOutcome, DispatchStatus
from messaging.transports import message_id
from reminders.decide import decide_due_cross_tenant
from reminders.models import Task
from tests.fake_esp import FakePostmark

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def esp(settings):
    with FakePostmark(lifetime=60) as fake:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = fake.anymail_settings()
        yield fake


@pytest.fixture
def decided(world, make_invoice):
    make_invoice("P-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    return dispatch


def test_a_reminder_reaches_postmark_with_its_message_id_and_metadata(esp, decided):
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    (accepted,) = esp.accepted
    assert accepted.message_id == message_id(decided) and accepted.tag == "follow-up"
    assert accepted.metadata == {"organization_id": decided.organization_id, "dispatch_id": decided.pk}
    assert dispatch.status == DispatchStatus.SENT and dispatch.provider_message_id == accepted.postmark_id


def test_a_partly_inactive_recipient_list_is_sent_once_and_not_retried(esp, decided, debtor):
    # Postmark answers "OK, but will not deliver to these inactive addresses": anymail then reports a set of
    # message ids ({id, None}). Booking that must not fail, or the accepted message would be sent again.
    contact_create(customer=debtor, name="Old address", email="old@lumen.example")
    esp.inactive = {"old@lumen.example"}
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.status == DispatchStatus.SENT, dispatch.reason
    assert dispatch.provider_message_id == esp.accepted[0].postmark_id
    assert esp.count(message_id(decided)) == 1


def test_only_inactive_recipients_is_a_permanent_failure_with_a_task(esp, decided):
    esp.inactive = {"camille@lumen.example"}
    contact = decided.customer.contacts.get(email="camille@lumen.example")
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.status == DispatchStatus.FAILED and esp.accepted == []
    assert dispatch.delivery_attempts.get().outcome == AttemptOutcome.PERMANENT
    assert Task.objects.filter(dispatch=dispatch).exists()
    contact.refresh_from_db()
    assert contact.email_status == "bounced"  # the valid e-mail filter now leaves this customer out


@pytest.mark.parametrize("mode", ["500", "drop"])
def test_a_provider_error_is_retried_later_with_backoff(esp, decided, mode):
    esp.fail(1.0, calls=1, modes=(mode,))
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert (dispatch.status, dispatch.next_attempt_at) == (DispatchStatus.QUEUED, NOW + timedelta(minutes=1))
    assert deliver_one(dispatch_id=decided.pk, now=NOW + timedelta(seconds=30)) is None  # not before its time
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW + timedelta(minutes=1))
    assert dispatch.status == DispatchStatus.SENT and esp.count(message_id(decided)) == 1
    assert [a.outcome for a in dispatch.delivery_attempts.all()] == [AttemptOutcome.TRANSIENT, AttemptOutcome.SENT]
