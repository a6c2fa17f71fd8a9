"""The registry of message kinds, and the door through which features queue messages.

Every message the outbox sends has a kind, and every kind has a handler registered by the app that owns it (in
its AppConfig.ready): follow-up and manual reminders (reminders/follow_up_messages.py), mandate invitations and
signed copies (campaigns/messages.py, mandates/messages.py), pre-notifications (mandates/messages.py). The
handler re-checks the message at send time, renders it, and books what happened to it on its owner's records.
A feature queues e-mails with `queue_messages(organization=…, kind=…, messages=[Outgoing(...)])`; messaging
never imports the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy

from messaging.models import Dispatch, DispatchInvoice, DispatchStatus, StepChannel
from organizations.activity import register_activity_labels
from tabular.bulk_insert import insert_rows


@dataclass
class Rendered:
    subject: str
    text_body: str
    html_body: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # (filename, content, MIME type)


def _no_reason(dispatch: Dispatch) -> str:
    return ""


def _nothing(*args) -> None:
    return None


def _customer(dispatch: Dispatch) -> models.Model:
    return dispatch.customer


@dataclass(frozen=True)
class KindHandler:
    """What the outbox asks the app that owns a kind of message. Every hook but `kind` and `label` has a default."""

    kind: str
    label: str  # what the message is, in activity texts ("Invitation to sign sent")
    # Why the message no longer applies at send time ("" = send it): the mandate was signed meanwhile, …
    skip_reason: Callable[[Dispatch], str] = _no_reason
    render: Callable[[Dispatch, datetime], Rendered] | None = None
    # A kind that decides more at send time than "skip or send" (holds, tasks, test mode: follow-up) prepares the
    # message itself with the pipeline's steps (messaging.delivery): returns what to send, or None when it finished
    # the dispatch itself. Without it: `skip_reason`, then `render`, then send.
    prepare: Callable[..., object] | None = None
    # Called in the transaction that books the message as sent.
    on_sent: Callable[[Dispatch, datetime], None] = _nothing
    # Books several sent messages at once (the follow-up levels of their invoices) and returns the activity entries
    # to write; without it: `on_sent` for each and "<kind>.sent" on `subject_of`.
    book_sent: Callable[[list[tuple[Dispatch, list]], datetime], list[dict]] | None = None
    # Refused for good (by the provider, or no contact with a valid address).
    on_failed: Callable[[Dispatch, str], None] = _nothing
    # Finished without being sent (skipped, failed, missed, test, uncertain); without it "<kind>.<status>" is
    # logged on `subject_of`.
    on_finished: Callable[[Dispatch, str, str], None] | None = None
    # The provider reported a hard bounce, a rejection or a complaint (messaging/tracking.py).
    on_bounced: Callable[[Dispatch, datetime], None] = _nothing
    # The record whose timeline shows the message (the mandate, the customer, …).
    subject_of: Callable[[Dispatch], models.Model] = _customer
    tags: tuple[str, ...] = ()


HANDLERS: dict[str, KindHandler] = {}


def register_kind(handler: KindHandler) -> None:
    """Called in the owning app's AppConfig.ready. A kind that books its own outcomes (`on_finished`) names them
    itself; for the others, "<kind>.<status>" reads "<label> sent", "<label> failed", … in the activity log
    (an app may register a more specific sentence for a code, which wins)."""
    HANDLERS[handler.kind] = handler
    if handler.on_finished is None:
        register_activity_labels(_outcomes(handler), replace=False)


OUTCOMES = {
    DispatchStatus.SENT: gettext_lazy("%(message)s sent"),
    DispatchStatus.FAILED: gettext_lazy("%(message)s failed"),
    DispatchStatus.SKIPPED: gettext_lazy("%(message)s not sent (no longer needed)"),
    DispatchStatus.MISSED: gettext_lazy("%(message)s missed: not sent late"),
    DispatchStatus.TEST: gettext_lazy("%(message)s rendered in test mode"),
    DispatchStatus.UNCERTAIN: gettext_lazy("%(message)s: outcome unknown"),
}


def _outcome_text(sentence, message) -> str:
    return str(sentence) % {"message": message}


_outcome = lazy(_outcome_text, str)


def _outcomes(handler: KindHandler) -> dict:
    return {
        f"{handler.kind}.{status.value}": _outcome(sentence, handler.label) for status, sentence in OUTCOMES.items()
    }


def handler_for(dispatch: Dispatch) -> KindHandler:
    """The handler of the dispatch's kind; a kind nobody registered is a programming error, not a message to send."""
    return HANDLERS[dispatch.kind]


@dataclass(frozen=True)
class Outgoing:
    """One message to queue: for a customer, unique per organization by `dedupe_key`."""

    customer_id: int
    dedupe_key: str
    # The owning app's record the message is about (`about(Mandate, mandate_id)`); None: the customer.
    subject: tuple[str, int] | None = None
    invoice_amounts: tuple[tuple[int, Any], ...] = ()  # (invoice id, open amount) listed in the message
    payload: dict[str, Any] = field(default_factory=dict)


def about(model: type[models.Model], pk: int) -> tuple[str, int]:
    """The generic pointer to the record a message is about: its model's label ("mandates.mandate") and its id."""
    return model._meta.label_lower, pk


def concerning(record: models.Model) -> models.Q:
    """The dispatches about this record: `Dispatch.objects.filter(concerning(mandate))`."""
    return models.Q(subject_type=record._meta.label_lower, subject_id=record.pk)


def subject_fields(subject: tuple[str, int] | None) -> dict:
    subject_type, subject_id = subject or ("", None)
    return {"subject_type": subject_type, "subject_id": subject_id}


def subject_record(dispatch: Dispatch, model: type[models.Model]) -> models.Model | None:
    """The record of `model` the dispatch is about, inside its organization; None when it is about something else
    or the record is gone."""
    if dispatch.subject_type != model._meta.label_lower or dispatch.subject_id is None:
        return None
    records = dispatch.__dict__.setdefault("_subject_records", {})  # read once per dispatch, like a foreign key
    if model not in records:
        records[model] = model._default_manager.filter(
            organization_id=dispatch.organization_id, pk=dispatch.subject_id
        ).first()
    return records[model]


def _insert(rows: list[dict], batch_size: int) -> None:
    """Fast (COPY) when no other writer queued the same key meanwhile; else the conflict-ignoring insert."""
    try:
        with transaction.atomic():
            insert_rows(Dispatch, rows)
    except IntegrityError:
        Dispatch.objects.bulk_create([Dispatch(**row) for row in rows], batch_size=batch_size, ignore_conflicts=True)


@transaction.atomic
def queue_messages(
    *,
    organization,
    kind: str,
    messages: Iterable[Outgoing],
    actor=None,
    when: datetime | None = None,
    batch_size: int = 2000,
) -> int:
    """Queue e-mails of `kind`: inserts the messages not queued before (by dedupe key); returns how many are new."""
    when = when or timezone.now()
    created = 0
    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    pending = list(messages)
    for start in range(0, len(pending), batch_size):
        chunk = pending[start : start + batch_size]
        keys = [message.dedupe_key for message in chunk]
        existing = set(
            Dispatch.objects.filter(organization=organization, dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        rows = [
            {
                "organization_id": organization.pk,
                "customer_id": message.customer_id,
                **subject_fields(message.subject),
                "kind": kind,
                "dedupe_key": message.dedupe_key,
                "payload": message.payload,
                "channel": StepChannel.EMAIL,
                "status": DispatchStatus.QUEUED,
                "scheduled_for": when,
                "next_attempt_at": when,
                "created_by_id": user.pk if user else None,
            }
            for message in chunk
            if message.dedupe_key not in existing
        ]
        _insert(rows, batch_size)
        if any(message.invoice_amounts for message in chunk):
            ids = dict(
                Dispatch.objects.filter(
                    organization=organization, dedupe_key__in=[row["dedupe_key"] for row in rows]
                ).values_list("dedupe_key", "pk")
            )
            items = [
                DispatchInvoice(
                    organization=organization,
                    dispatch_id=ids[message.dedupe_key],
                    invoice_id=invoice_id,
                    open_amount=amount,
                )
                for message in chunk
                if message.dedupe_key in ids and message.dedupe_key not in existing
                for invoice_id, amount in message.invoice_amounts
            ]
            DispatchInvoice.objects.bulk_create(items, batch_size=batch_size, ignore_conflicts=True)
        created += len(rows)
    return created
