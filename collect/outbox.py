"""The door to the exactly-once outbox for apps below reminders (mandates, campaigns, …).

reminders registers `queue` in its AppConfig.ready (reminders/kinds.py); a lower app queues e-mails with
`queue_messages(organization=…, kind="mandate_invitation", messages=[Outgoing(...)])` and never imports
reminders. Each kind has a handler in reminders that re-checks and renders the message at send time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Outgoing:
    """One message to queue: for a customer, unique per organization by `dedupe_key`."""

    customer_id: int
    dedupe_key: str
    mandate_id: int | None = None
    invoice_amounts: tuple[tuple[int, Any], ...] = ()  # (invoice id, open amount) listed in the message
    payload: dict[str, Any] = field(default_factory=dict)


_queue: Callable[..., int] | None = None


def register_message_queue(queue: Callable[..., int]) -> None:
    global _queue  # noqa: PLW0603 - a single registration at start-up
    _queue = queue


def queue_messages(
    *, organization, kind: str, messages: Iterable[Outgoing], actor=None, when: datetime | None = None
) -> int:
    """Queue e-mails of `kind`; returns how many were new (a dedupe key already queued is left alone)."""
    if _queue is None:
        raise RuntimeError("No message queue is registered (is the reminders app installed?)")
    return _queue(organization=organization, kind=kind, messages=messages, actor=actor, when=when)
