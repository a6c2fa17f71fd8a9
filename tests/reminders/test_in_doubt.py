"""A send that fails after the provider may have accepted it: ask the provider before retrying.

Through anymail's real Postmark backend and a fake Postmark on loopback that accepts a message and then
drops the connection, or answers only after the client gave up. The provider must end up with one copy.
"""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from messaging.delivery import LEASE, deliver_one
from messaging.models import AttemptOutcome, DispatchStatus
from messaging.sweep import sweep
from messaging.transports import may_have_been_accepted, message_id
from reminders.decide import decide_due_cross_tenant
from reminders.models import TaskStatus
from tests.fake_esp import FakePostmark

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def esp(settings):
    with FakePostmark(lifetime=60) as fake:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = fake.anymail_settings(REQUESTS_TIMEOUT=0.5)
        fake.slow = 1.5
        yield fake


@pytest.fixture
def decided(world, make_invoice):
    make_invoice("D-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    return dispatch


def outcomes(dispatch) -> list[str]:
    return [attempt.outcome for attempt in dispatch.delivery_attempts.all()]


@pytest.mark.parametrize("mode", ["accept-drop", "accept-slow"])
def test_accepted_then_the_answer_lost_is_booked_sent_and_not_sent_again(esp, decided, mode):
    esp.fail(1.0, calls=1, modes=(mode,))
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    (accepted,) = esp.accepted
    assert dispatch.status == DispatchStatus.SENT, dispatch.reason
    assert dispatch.provider_message_id == accepted.postmark_id
    assert outcomes(dispatch) == [AttemptOutcome.SENT] and esp.searches == 1
    assert deliver_one(dispatch_id=decided.pk, now=NOW + timedelta(hours=1)) is None  # nothing left to send
    assert esp.count(message_id(decided)) == 1


def test_dropped_before_accepting_is_checked_then_retried_and_sent_once(esp, decided):
    esp.fail(1.0, calls=1, modes=("drop",))
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert (dispatch.status, dispatch.next_attempt_at) == (DispatchStatus.QUEUED, NOW + timedelta(minutes=1))
    assert esp.searches == 1 and esp.accepted == []
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW + timedelta(minutes=1))
    assert dispatch.status == DispatchStatus.SENT and esp.count(message_id(decided)) == 1
    assert outcomes(dispatch) == [AttemptOutcome.TRANSIENT, AttemptOutcome.SENT]


def test_accepted_but_not_yet_searchable_is_asked_again_before_the_retry_and_not_sent_twice(esp, decided):
    esp.fail(1.0, calls=1, modes=("accept-drop",))
    esp.search_lags = 1  # Postmark accepted it, but its search does not list it yet
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.status == DispatchStatus.QUEUED and esp.searches == 1  # not found: a retry is planned
    (accepted,) = esp.accepted

    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW + timedelta(minutes=1))

    assert dispatch.status == DispatchStatus.SENT and dispatch.provider_message_id == accepted.postmark_id
    assert esp.searches == 2 and esp.count(message_id(decided)) == 1  # asked again, not sent again
    assert outcomes(dispatch) == [AttemptOutcome.TRANSIENT, AttemptOutcome.SENT]


def test_a_message_the_provider_never_had_is_asked_for_again_then_sent_once(esp, decided):
    esp.fail(1.0, calls=1, modes=("500",))  # a 5xx may come after accepting: in doubt
    deliver_one(dispatch_id=decided.pk, now=NOW)
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW + timedelta(minutes=1))
    assert dispatch.status == DispatchStatus.SENT and esp.count(message_id(decided)) == 1
    assert esp.searches == 2  # asked after the failure, and again before the retry
    third = deliver_one(dispatch_id=decided.pk, now=NOW + timedelta(minutes=2))
    assert third is None and esp.searches == 2  # sent: nothing more to ask or send


def test_a_refused_connection_is_retried_without_asking(esp, decided, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_API_URL": f"http://127.0.0.1:{closed}/"}
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.status == DispatchStatus.QUEUED and outcomes(dispatch) == [AttemptOutcome.TRANSIENT]
    assert esp.searches == 0


def test_when_the_check_fails_it_waits_for_the_sweeper_and_is_never_resent(esp, decided):
    esp.fail(1.0, calls=1, modes=("accept-drop",))
    esp.search_fails = True
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.status == DispatchStatus.SENDING and outcomes(dispatch) == [AttemptOutcome.STARTED]
    assert "checking whether it has the message" in dispatch.reason
    assert sweep(now=NOW + LEASE + timedelta(minutes=1)) == {"requeued": 0, "proven_sent": 0, "uncertain": 1}
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.UNCERTAIN and dispatch.task.status == TaskStatus.TODO
    assert esp.count(message_id(decided)) == 1


def test_the_sweeper_asks_postmark_too_and_books_what_it_has(esp, decided):
    esp.fail(1.0, calls=1, modes=("accept-drop",))
    esp.search_fails = True
    deliver_one(dispatch_id=decided.pk, now=NOW)
    esp.search_fails = False  # the provider answers again by the time the lease runs out
    assert sweep(now=NOW + LEASE + timedelta(minutes=1)) == {"requeued": 0, "proven_sent": 1, "uncertain": 0}
    decided.refresh_from_db()
    assert decided.status == DispatchStatus.SENT and esp.count(message_id(decided)) == 1


def test_another_organizations_message_with_the_same_dispatch_id_is_not_ours(esp, decided):
    # Postmark filters on one metadata field: a message of another database (same server) must not count.
    esp.accepted.append(_foreign(esp, decided))
    esp.fail(1.0, calls=1, modes=("drop",))
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.status == DispatchStatus.QUEUED


def _foreign(esp, decided):
    from tests.fake_esp import Accepted

    return Accepted(postmark_id="foreign", message_id="<other@example>", to="x@example.com", subject="",
                    metadata={"organization_id": decided.organization_id + 1000, "dispatch_id": decided.pk},
                    tag="", submitted_at="")  # fmt: skip


@pytest.mark.parametrize(
    ("error", "in_doubt"),
    [(TimeoutError("read timed out"), True), (ConnectionResetError("reset by peer"), True),
     (ConnectionRefusedError("refused"), False), (socket.gaierror("no such host"), False)],
)  # fmt: skip
def test_which_errors_may_have_come_after_acceptance(error, in_doubt):
    assert may_have_been_accepted(error) is in_doubt
