"""Channels as transports: one small class per channel puts a message on the wire and answers for it.

A transport sends a dispatch with a stable message id (every attempt carries the same one, so a provider
recognises a repeat), classifies what went wrong (permanent: never accepted as it is; transient: try again;
in doubt: the provider may have accepted it before the failure), says whether its provider holds a message
(`lookup`, today's `provider_has`) and what a message costs (`price`: None for e-mail). E-mail is the one
channel today; letters and SMS register theirs with their issue.

Asking the provider whether it holds a message matters twice: delivery, when a send failed in a way that may
have come after the provider accepted it (a timeout, a connection dropped after the request went out, a 5xx
from a proxy), and the sweeper, when a worker died in the middle of a send. Both must never send blindly again:
the answer is True (the provider has it: book it sent), False (it has not: sending again cannot double it) or
None (cannot tell: a person resolves it, see `uncertain`).

- The database store (mailroom) looks the message up by its Message-ID.
- Postmark: the Outbound Messages search, filtered by our `dispatch_id` metadata
  (`GET /messages/outbound?count=…&offset=0&metadata_dispatch_id=<id>`, header X-Postmark-Server-Token),
  with the server token and API URL from anymail's settings. Postmark filters on one metadata field per
  search, so the organization id is compared on the answers.
- Any provider: a tracking event that proves acceptance (messaging/tracking.py) settles it first.
- Other providers: None (unknown).
"""

from __future__ import annotations

import http.client
import logging
import smtplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.mime.image import MIMEImage

import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from urllib3.exceptions import NameResolutionError, NewConnectionError

from invoices.models import Invoice
from invoices.payment_details import qr_png
from messaging.models import ACCEPTED_EVENT_TYPES, Dispatch, DispatchEvent

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
        ours = [
            m
            for m in messages
            if str((m.get("Metadata") or {}).get("organization_id")) == str(dispatch.organization_id)
        ]
        return Lookup(True, str(ours[0].get("MessageID") or "")) if ours else Lookup(False)


def message_id(dispatch: Dispatch) -> str:
    """Deterministic per dispatch: every attempt carries the same id, so a provider can recognise a repeat."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">").strip() or "collect.localhost"
    return f"<dispatch-{dispatch.pk}.{dispatch.organization_id}@{domain}>"


class TransientError(Exception):
    """The provider may accept this later. `in_doubt`: the failure may have come after it accepted it."""

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


class PermanentError(Exception):
    """The provider will never accept this message as it is."""

    def __init__(self, message: str, *, recipients_refused: bool = False) -> None:
        super().__init__(message)
        self.recipients_refused = recipients_refused


PROVIDERS = {
    "mailroom.backends.DatabaseEmailBackend": DatabaseStore,
    "anymail.backends.postmark.EmailBackend": Postmark,
}


class EmailTransport:
    """E-mail through Django's configured backend (the database store, SMTP or an ESP through anymail)."""

    channel = "email"

    def __init__(self, connection: BaseEmailBackend | None = None) -> None:
        self.connection = connection

    @contextmanager
    def session(self) -> Iterator[EmailTransport]:
        """One connection to the backend for a batch of sends."""
        backend = get_connection()
        try:
            backend.open()
        except Exception:  # e.g. an SMTP server that refuses: each message then opens (and classifies) its own
            logger.warning("Could not open the e-mail backend for a batch; sending one by one", exc_info=True)
            backend = None
        try:
            yield EmailTransport(backend)
        finally:
            if backend is not None:
                try:
                    backend.close()
                except Exception:
                    logger.warning("Closing the e-mail backend failed", exc_info=True)

    def send(self, dispatch: Dispatch, listed: list[Invoice], *, extra=(), tags=()) -> str:
        """Send the rendered dispatch; returns the provider's id for it. Raises PermanentError or TransientError."""
        message = _email(dispatch, listed, extra=extra, tags=tags, connection=self.connection)
        try:
            message.send()
        except Exception as error:
            classified = self.classify(error)
            if classified is error:
                raise
            raise classified from error
        provider_ids = getattr(getattr(message, "anymail_status", None), "message_id", None)
        if isinstance(provider_ids, set):
            # Several recipients with ids of their own (Mailjet), or some refused (Postmark's inactive addresses).
            provider_ids = ",".join(sorted(str(provider_id) for provider_id in provider_ids if provider_id))
        return str(provider_ids) if provider_ids else message_id(dispatch)

    def classify(self, error: Exception) -> Exception:
        """Permanent (a refused address, a 4xx), transient (anything that may pass), or the error itself (a bug)."""
        if isinstance(error, AnymailRecipientsRefused):
            return PermanentError(str(error), recipients_refused=True)
        if isinstance(error, AnymailAPIError):
            status = getattr(error, "status_code", None)
            if status and 400 <= status < 500 and status not in (408, 429):
                return PermanentError(str(error))
            return TransientError(str(error), in_doubt=may_have_been_accepted(error))
        if isinstance(error, OSError):  # connection refused, timeouts, SMTP errors
            return TransientError(str(error), in_doubt=may_have_been_accepted(error))
        return error

    def lookup(self, dispatch: Dispatch) -> Lookup:
        """Whether the provider of the configured e-mail backend holds this dispatch's message."""
        if DispatchEvent.objects.filter(dispatch=dispatch, event_type__in=ACCEPTED_EVENT_TYPES).exists():
            return Lookup(True)
        provider = PROVIDERS.get(settings.EMAIL_BACKEND)
        return provider().lookup(dispatch) if provider else Lookup(None)

    def price(self, dispatch: Dispatch) -> None:
        """E-mail costs nothing per message."""
        return None


def email_transport() -> EmailTransport:
    return EmailTransport()


def provider_has(dispatch: Dispatch) -> bool | None:
    """Whether the provider holds this message: True, False, or None when it cannot tell.

    Without an answer the dispatch is marked uncertain rather than risk a repeat.
    """
    return email_transport().lookup(dispatch).found


def _inline_qr(attachment: dict) -> MIMEImage:
    """The EPC QR code as an inline image the HTML shows with `cid:` (as anymail's attach_inline_image does;
    Anymail's ESP backends send it as an inline attachment, SMTP as a part with a Content-ID)."""
    image = MIMEImage(qr_png(attachment["epc"]), "png")
    image.add_header("Content-Disposition", "inline", filename=attachment["filename"])
    image.add_header("Content-ID", f"<{attachment['inline']}>")
    return image


def _email(
    dispatch: Dispatch, listed: list[Invoice], *, extra=(), tags=(), connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=dispatch.subject,
        body=dispatch.text_body,
        from_email=dispatch.from_email,
        to=dispatch.recipients,
        cc=dispatch.cc,
        bcc=dispatch.bcc,
        reply_to=dispatch.reply_to,
        headers={"Message-ID": message_id(dispatch)},
        connection=connection,
    )
    message.attach_alternative(dispatch.html_body, "text/html")
    for invoice in listed:
        if invoice.pdf and any(a.get("invoice") == invoice.pk for a in dispatch.attachments):
            with invoice.pdf.open("rb") as pdf:
                message.attach(f"{invoice.number}.pdf", pdf.read(), "application/pdf")
    for filename, content, mime in extra:
        message.attach(filename, content, mime)
    for attachment in dispatch.attachments:
        if attachment.get("epc"):
            message.attach(_inline_qr(attachment))
    message.metadata = {"organization_id": dispatch.organization_id, "dispatch_id": dispatch.pk}
    message.tags = list(tags) or ["follow-up"]
    return message


# Failures that happen before a request reaches the provider: it cannot have the message.
NOT_SENT = (
    requests.ConnectTimeout,
    NewConnectionError,
    NameResolutionError,
    ConnectionRefusedError,
    socket.gaierror,
    BrokenPipeError,
)
# Failures that can come after the provider received the whole request (and may have accepted it).
MAYBE_ACCEPTED = (
    requests.ReadTimeout,
    requests.ConnectionError,
    TimeoutError,
    ConnectionResetError,
    ConnectionAbortedError,
    http.client.RemoteDisconnected,
    smtplib.SMTPServerDisconnected,
)


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
