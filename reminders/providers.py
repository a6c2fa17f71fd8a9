"""Asking the e-mail provider whether it holds a message, one small class per provider.

Two callers need the answer: delivery, when a send failed in a way that may have come after the provider
accepted the message (a timeout, a connection dropped after the request went out, a 5xx from a proxy), and
the sweeper, when a worker died in the middle of a send. Both must never send blindly again: the answer is
True (the provider has it: book it sent), False (it has not: sending again cannot double it) or None (cannot
tell: a person resolves it, see `uncertain`).

- The database store (mailroom) looks the message up by its Message-ID.
- Postmark: the Outbound Messages search, filtered by our `dispatch_id` metadata
  (`GET /messages/outbound?count=…&offset=0&metadata_dispatch_id=<id>`, header X-Postmark-Server-Token),
  with the server token and API URL from anymail's settings. Postmark filters on one metadata field per
  search, so the organization id is compared on the answers.
- Any provider: a tracking event that proves acceptance (reminders/tracking.py) settles it first.
- Other providers: None (unknown).
"""

from __future__ import annotations

import http.client
import logging
import smtplib
import socket
from dataclasses import dataclass

import requests
from anymail.utils import get_anymail_setting
from django.conf import settings
from urllib3.exceptions import NameResolutionError, NewConnectionError

from reminders.models import ACCEPTED_EVENT_TYPES, Dispatch, DispatchEvent

logger = logging.getLogger(__name__)

POSTMARK_API_URL = "https://api.postmarkapp.com/"
LOOKUP_TIMEOUT = 10  # seconds; a provider that cannot answer this fast is "cannot tell"


@dataclass(frozen=True)
class Lookup:
    found: bool | None  # True: the provider has it; False: it has not; None: cannot tell
    provider_id: str = ""  # the provider's id for the message, when it has it


class DatabaseStore:
    """The embedded default: the store keeps one copy per Message-ID."""

    def lookup(self, dispatch: Dispatch) -> Lookup:
        from mailroom.models import StoredEmail
        from reminders.delivery import message_id

        found = StoredEmail.objects.filter(message_id=message_id(dispatch)).exists()
        return Lookup(found, message_id(dispatch) if found else "")


class Postmark:
    """Postmark's Outbound Messages search, by the `dispatch_id` metadata every message carries."""

    def lookup(self, dispatch: Dispatch) -> Lookup:
        api_url = get_anymail_setting("api_url", esp_name="postmark", default=POSTMARK_API_URL)
        token = get_anymail_setting("server_token", esp_name="postmark", default=None, allow_bare=True)
        url = api_url.rstrip("/") + "/messages/outbound"
        params = {"count": 50, "offset": 0, "metadata_dispatch_id": str(dispatch.pk)}
        headers = {"Accept": "application/json", "X-Postmark-Server-Token": token or ""}
        try:
            response = requests.get(url, params=params, headers=headers, timeout=LOOKUP_TIMEOUT)
            response.raise_for_status()
            messages = response.json().get("Messages") or []
        except (requests.RequestException, ValueError, AttributeError) as error:
            logger.warning("Postmark search for dispatch %s failed: %s", dispatch.pk, error)
            return Lookup(None)
        ours = [m for m in messages if str((m.get("Metadata") or {}).get("organization_id")) == str(
            dispatch.organization_id)]  # fmt: skip
        return Lookup(True, str(ours[0].get("MessageID") or "")) if ours else Lookup(False)


PROVIDERS = {
    "mailroom.backends.DatabaseEmailBackend": DatabaseStore,
    "anymail.backends.postmark.EmailBackend": Postmark,
}


def provider_lookup(dispatch: Dispatch) -> Lookup:
    """Whether the provider of the configured e-mail backend holds this dispatch's message."""
    if DispatchEvent.objects.filter(dispatch=dispatch, event_type__in=ACCEPTED_EVENT_TYPES).exists():
        return Lookup(True)
    provider = PROVIDERS.get(settings.EMAIL_BACKEND)
    return provider().lookup(dispatch) if provider else Lookup(None)


# Failures that happen before a request reaches the provider: it cannot have the message.
NOT_SENT = (requests.ConnectTimeout, NewConnectionError, NameResolutionError, ConnectionRefusedError,
            socket.gaierror, BrokenPipeError)  # fmt: skip
# Failures that can come after the provider received the whole request (and may have accepted it).
MAYBE_ACCEPTED = (requests.ReadTimeout, requests.ConnectionError, TimeoutError, ConnectionResetError,
                  ConnectionAbortedError, http.client.RemoteDisconnected, smtplib.SMTPServerDisconnected)  # fmt: skip


def may_have_been_accepted(error: BaseException) -> bool:
    """Whether a failed send may still have reached the provider: a 5xx, a timeout or a connection lost
    after the request went out. A refused connection or an unknown host cannot have."""
    status = getattr(error, "status_code", None)
    if status is not None:
        return status >= 500
    chain = _chain(error)
    if any(isinstance(link, NOT_SENT) for link in chain):
        return False
    return any(isinstance(link, MAYBE_ACCEPTED) for link in chain)


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in seen:
        seen.append(link)
        for argument in getattr(link, "args", ()):  # urllib3 wraps the cause in its arguments
            if isinstance(argument, BaseException) and argument not in seen:
                seen.extend(_chain(argument))
        reason = getattr(link, "reason", None)
        if isinstance(reason, BaseException) and reason not in seen:
            seen.extend(_chain(reason))
        link = link.__cause__ or link.__context__
    return seen
