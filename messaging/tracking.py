"""Tracking webhooks: what the e-mail provider reports about a message after it accepted it.

The provider posts to anymail's own view (/webhooks/anymail/<esp>/tracking/, HTTP basic auth with
`ANYMAIL["WEBHOOK_SECRET"]`); anymail normalizes the payload and sends the `tracking` signal, whose receiver
here calls one service, `tracking_event_record`. That service:

- finds the dispatch from the metadata delivery attached (`organization_id` and `dispatch_id`, which must
  agree: ids are never trusted across tenants) or, without metadata, from the provider's message id;
- stores the event once, however often the provider re-posts it (by the provider's event id, or by a
  hash of the event when the provider gives no id);
- books a dispatch whose outcome was unknown (`uncertain`, or queued for a retry after an error) as sent
  when the event proves the provider accepted it: the reconciliation the sweeper cannot do by itself for
  an external provider (see `transports.provider_has`, which also reads these events);
- marks the contact's address bounced after a hard bounce, a rejection or a spam complaint, and asks a person
  (a task for the account manager); the message's kind hears of it too (a mandate invitation marks the
  invitation's e-mail bounced, which the campaign's funnel shows).

Events about messages we cannot place are logged and dropped: answering with an error would only make
the provider post them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.core import checks
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Contact, EmailStatus
from customers.services import contact_mark_email_bounced
from messaging.delivery import mark_sent
from messaging.kinds import handler_for
from messaging.models import (
    ACCEPTED_EVENT_TYPES,
    ADDRESS_FAILED_EVENT_TYPES,
    AttemptOutcome,
    Dispatch,
    DispatchEvent,
    DispatchEventType,
    DispatchStatus,
)
from messaging.people import ask_person, question_answered

logger = logging.getLogger(__name__)

# Postmark reports these as bounces, but they are temporary: the address stays in use.
SOFT_BOUNCE_TYPES = {"SoftBounce", "Transient", "DnsError"}
RAW_LIMITS = {"depth": 4, "items": 30, "chars": 1000}


def on_tracking_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """Receiver of anymail's `tracking` signal (connected in MessagingConfig.ready)."""
    tracking_event_record(event=event, esp_name=esp_name)


@transaction.atomic
def tracking_event_record(*, event: AnymailTrackingEvent, esp_name: str = "") -> DispatchEvent | None:
    """Store a provider's event about one of our messages and act on it; None when not ours or a repeat."""
    dispatch = tracking_event_dispatch(event=event)
    if dispatch is None:
        logger.info("Tracking event %s for message %s matches no dispatch", event.event_type, event.message_id)
        return None
    try:
        with transaction.atomic():
            stored = DispatchEvent.objects.create(
                organization=dispatch.organization, dispatch=dispatch, event_type=_event_type(event),
                recipient=(event.recipient or "")[:320], timestamp=event.timestamp or timezone.now(),
                description=_description(event), esp_name=esp_name[:32], esp_event_id=(event.event_id or "")[:200],
                fingerprint=_fingerprint(event), raw=_trimmed(event.esp_event),
            )  # fmt: skip
    except IntegrityError:
        return None  # posted again: it was stored and acted on the first time
    if stored.event_type in ACCEPTED_EVENT_TYPES:
        _book_as_sent(dispatch, stored, provider_id=str(event.message_id or ""))
    if stored.event_type in ADDRESS_FAILED_EVENT_TYPES and not _soft(event):
        _address_failed(dispatch, stored)
        handler_for(dispatch).on_bounced(dispatch, stored.timestamp)
    return stored


def tracking_event_dispatch(*, event: AnymailTrackingEvent) -> Dispatch | None:
    """The dispatch an event is about, inside the organization the event names (if it names one)."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    organization_id = _as_id(metadata.get("organization_id"))
    dispatch_id = _as_id(metadata.get("dispatch_id"))
    if dispatch_id is not None:
        found = Dispatch.objects.select_related("organization", "customer").filter(
            pk=dispatch_id, organization_id=organization_id
        ).first() if organization_id is not None else None  # fmt: skip
        if found is None:
            logger.warning("Tracking event names dispatch %s of organization %s: no such dispatch there",
                           dispatch_id, organization_id)  # fmt: skip
        return found
    if not event.message_id:
        return None
    candidates = Dispatch.objects.select_related("organization", "customer").filter(
        provider_message_id=str(event.message_id)
    )
    if organization_id is not None:
        candidates = candidates.filter(organization_id=organization_id)
    found = list(candidates[:2])
    return found[0] if len(found) == 1 else None


def _book_as_sent(dispatch: Dispatch, event: DispatchEvent, *, provider_id: str) -> None:
    """The provider has the message: a dispatch whose outcome was unknown is sent (and never sent again).

    `sending` is left alone: its worker is still busy, or the sweeper will find this event when the lease
    ends. A queued dispatch counts only after an attempt (a retry waiting after an error the provider in fact
    survived); the compare-and-swap keeps a worker's claim and this booking from both winning.
    """
    unknown = Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.UNCERTAIN)
    waiting = Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.QUEUED, attempts__gt=0)
    was_uncertain = unknown.update(status=DispatchStatus.SENT) == 1
    if not was_uncertain and waiting.update(status=DispatchStatus.SENT) != 1:
        return
    last = dispatch.delivery_attempts.order_by("-number").first()
    if last is not None and last.outcome != AttemptOutcome.SENT:
        type(last).objects.filter(pk=last.pk).update(
            outcome=AttemptOutcome.SENT, detail=_("Confirmed by the provider's status event."),
            finished_at=timezone.now(),
        )  # fmt: skip
    listed = [item.invoice for item in dispatch.items.select_related("invoice")]
    sent_at = last.started_at if last is not None else event.timestamp
    mark_sent(dispatch, listed, sent_at, dispatch.provider_message_id or provider_id)
    if was_uncertain:
        question_answered(dispatch)  # the "check whether it arrived" task is answered


def _address_failed(dispatch: Dispatch, event: DispatchEvent) -> None:
    contacts = Contact.objects.filter(
        organization=dispatch.organization, customer=dispatch.customer, email__iexact=event.recipient
    ).exclude(email="")
    marked = []
    for contact in contacts:
        if contact.email_status != EmailStatus.BOUNCED:
            detail = event.description or event.get_event_type_display()
            marked.append(contact_mark_email_bounced(contact=contact, detail=detail))
    if not marked:
        return
    ask_person(dispatch, "email_bounced", newest=True, email=event.recipient)


def _event_type(event: AnymailTrackingEvent) -> str:
    return event.event_type if event.event_type in DispatchEventType.values else DispatchEventType.UNKNOWN


def _soft(event: AnymailTrackingEvent) -> bool:
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return raw.get("Type") in SOFT_BOUNCE_TYPES


def _description(event: AnymailTrackingEvent) -> str:
    parts = [event.description, event.mta_response, event.click_url]
    if event.reject_reason and not event.description:
        parts.insert(0, event.reject_reason)
    return " · ".join(str(part) for part in parts if part)[:500]


def _fingerprint(event: AnymailTrackingEvent) -> str:
    described = {"type": event.event_type, "message": event.message_id, "recipient": event.recipient,
                 "at": _iso(event.timestamp), "raw": event.esp_event}  # fmt: skip
    canonical = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _trimmed(value: Any, depth: int = 0) -> Any:
    """The raw payload, small enough to keep: long texts, deep nesting and long lists cut."""
    if isinstance(value, dict):
        if depth >= RAW_LIMITS["depth"]:
            return "…"
        items = list(value.items())[: RAW_LIMITS["items"]]
        return {str(key): _trimmed(item, depth + 1) for key, item in items}
    if isinstance(value, list | tuple):
        if depth >= RAW_LIMITS["depth"]:
            return "…"
        return [_trimmed(item, depth + 1) for item in value[: RAW_LIMITS["items"]]]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[: RAW_LIMITS["chars"]]


def _as_id(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@checks.register(checks.Tags.security, deploy=True)
def check_webhook_secret(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """An ESP sends our mail, so its webhooks are routed: without a secret anyone could post events."""
    backend = settings.EMAIL_BACKEND
    uses_esp = backend.startswith("anymail.backends.") and backend != "anymail.backends.test.EmailBackend"
    if uses_esp and not (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        return [
            checks.Error(
                "ANYMAIL['WEBHOOK_SECRET'] is not set: anyone could post tracking events to /webhooks/anymail/.",
                hint='Set ANYMAIL=\'{..., "WEBHOOK_SECRET": "user:long-random-password"}\' in the environment.',
                id="reminders.E001",
            )
        ]
    return []
