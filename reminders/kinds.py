"""Messages about something other than overdue invoices (mandate invitations, pre-notifications, …).

They go through the same outbox as reminders (claim, re-check, attempt recorded before the provider is
called, deterministic Message-ID), so they are sent exactly once too. A kind registers a handler that
re-checks and renders at send time; lower apps queue messages through `collect.outbox.queue_messages`,
which reminders implements with `queue` below (collect/outbox.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from collect.bulk_insert import insert_rows
from collect.outbox import Outgoing
from reminders.models import Dispatch, DispatchInvoice, DispatchKind, DispatchStatus, StepChannel


@dataclass
class Rendered:
    subject: str
    text_body: str
    html_body: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # (filename, content, MIME type)


@dataclass(frozen=True)
class KindHandler:
    kind: str
    # Why the message no longer applies at send time ("" = send it): the mandate was signed meanwhile, …
    skip_reason: Callable[[Dispatch], str]
    render: Callable[[Dispatch, datetime], Rendered]
    # Called in the transaction that books the message as sent / failed.
    on_sent: Callable[[Dispatch, datetime], None] = lambda dispatch, now: None
    on_failed: Callable[[Dispatch, str], None] = lambda dispatch, reason: None
    # The record whose timeline shows the message (the mandate, the customer, …).
    subject_of: Callable[[Dispatch], models.Model] = lambda dispatch: dispatch.mandate or dispatch.customer
    tags: tuple[str, ...] = ()


HANDLERS: dict[str, KindHandler] = {}


def register_kind(handler: KindHandler) -> None:
    HANDLERS[handler.kind] = handler


def handler_for(dispatch: Dispatch) -> KindHandler | None:
    if dispatch.kind in (DispatchKind.FOLLOW_UP, DispatchKind.MANUAL):
        return None
    return HANDLERS.get(dispatch.kind)


def _insert(rows: list[dict], batch_size: int) -> None:
    """Fast (COPY) when no other writer queued the same key meanwhile; else the conflict-ignoring insert."""
    try:
        with transaction.atomic():
            insert_rows(Dispatch, rows)
    except IntegrityError:
        Dispatch.objects.bulk_create([Dispatch(**row) for row in rows], batch_size=batch_size, ignore_conflicts=True)


@transaction.atomic
def queue(
    *, organization, kind: str, messages: Iterable[Outgoing], actor=None, when: datetime | None = None,
    batch_size: int = 2000,
) -> int:  # fmt: skip
    """Insert the messages not queued before (by dedupe key); returns how many are new."""
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
            {"organization_id": organization.pk, "customer_id": message.customer_id, "mandate_id": message.mandate_id,
             "kind": kind, "dedupe_key": message.dedupe_key, "payload": message.payload,
             "channel": StepChannel.EMAIL, "status": DispatchStatus.QUEUED, "scheduled_for": when,
             "next_attempt_at": when, "created_by_id": user.pk if user else None}
            for message in chunk if message.dedupe_key not in existing
        ]  # fmt: skip
        _insert(rows, batch_size)
        if any(message.invoice_amounts for message in chunk):
            ids = dict(
                Dispatch.objects.filter(organization=organization, dedupe_key__in=[row["dedupe_key"] for row in rows])
                .values_list("dedupe_key", "pk")
            )  # fmt: skip
            items = [
                DispatchInvoice(organization=organization, dispatch_id=ids[message.dedupe_key], invoice_id=invoice_id,
                                open_amount=amount)
                for message in chunk if message.dedupe_key in ids and message.dedupe_key not in existing
                for invoice_id, amount in message.invoice_amounts
            ]  # fmt: skip
            DispatchInvoice.objects.bulk_create(items, batch_size=batch_size, ignore_conflicts=True)
        created += len(rows)
    return created
