"""The e-mail channel's transport: how it classifies a failed send, the message id every attempt carries, its
price. (Sending through the real path, with a fake provider on loopback, is tested in tests/reminders/.)"""

from __future__ import annotations

import pytest
import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

from messaging.models import Dispatch
from messaging.transports import EmailTransport, PermanentError, TransientError, message_id


def api_error(status: int) -> AnymailAPIError:
    """What anymail raises for an ESP's HTTP answer `status`."""
    response = requests.Response()
    response.status_code, response.reason, response._content = status, "answer", b"{}"
    return AnymailAPIError("the provider answered", status_code=status, response=response)


@pytest.mark.parametrize(
    ("error", "kind", "in_doubt"),
    [
        (AnymailRecipientsRefused("all refused"), PermanentError, None),
        (api_error(422), PermanentError, None),
        (api_error(429), TransientError, False),
        (api_error(502), TransientError, True),
        (ConnectionRefusedError("refused"), TransientError, False),
        (requests.ReadTimeout("read timed out"), TransientError, True),
    ],
)
def test_a_failed_send_is_permanent_transient_or_in_doubt(error, kind, in_doubt):
    classified = EmailTransport().classify(error)
    assert isinstance(classified, kind)
    if kind is TransientError:
        assert classified.in_doubt is in_doubt
    if isinstance(error, AnymailRecipientsRefused):
        assert classified.recipients_refused


def test_an_error_of_our_own_is_not_classified_as_the_providers():
    bug = KeyError("subject")
    assert EmailTransport().classify(bug) is bug  # left for the sweeper: never retried blindly


def test_every_attempt_at_a_message_carries_the_same_id_and_no_two_messages_share_one():
    first, again, other = Dispatch(pk=7, organization_id=3), Dispatch(pk=7, organization_id=3), Dispatch(pk=8)
    other.organization_id = 3
    assert message_id(first) == message_id(again)
    assert message_id(first) != message_id(other)
    assert message_id(first).startswith("<dispatch-7.3@")


def test_an_email_costs_nothing_per_message():
    assert EmailTransport().price(Dispatch(pk=1, organization_id=1)) is None
