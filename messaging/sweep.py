"""The sweeper: resolve dispatches whose worker died while holding them (cross-tenant, every tick).

A claim older than the lease was left by a dead worker. Without a recorded attempt the provider was never
called: requeue it. With a STARTED attempt, ask the transport whether the provider has the message: yes, book it
sent; no, requeue; cannot tell, `uncertain` for a person to resolve. Never resent blindly.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from messaging.delivery import LEASE, close_attempt, finish, mark_sent
from messaging.models import AttemptOutcome, DeliveryAttempt, Dispatch, DispatchStatus
from messaging.people import ask_person
from messaging.transports import message_id, provider_has


def stuck_dispatches(*, now: datetime) -> list[int]:
    return list(
        Dispatch.objects.filter(status=DispatchStatus.SENDING, claimed_at__lt=now - LEASE).values_list("pk", flat=True)
    )


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Cross-tenant: resolve dispatches whose worker died while holding them."""
    now = now or timezone.now()
    counts = {"requeued": 0, "proven_sent": 0, "uncertain": 0}
    for dispatch_id in stuck_dispatches(now=now):
        # Still stuck now: another sweeper (two ticks overlap) may have resolved it since the list was read.
        dispatch = (
            Dispatch.objects.select_related("organization", "customer", "step")
            .filter(pk=dispatch_id, status=DispatchStatus.SENDING, claimed_at__lt=now - LEASE)
            .first()
        )
        if dispatch is None:
            continue
        with override(dispatch.organization.default_language):
            _sweep_one(dispatch, now, counts)
    return counts


def _sweep_one(dispatch: Dispatch, now: datetime, counts: dict[str, int]) -> None:
    """Resolve this stuck claim: asks the provider (no lock held), then acts only if the claim is still the one
    it looked at. Another sweeper may have requeued it meanwhile and a worker claimed it afresh: requeueing that
    new claim would let a second worker send the message again."""
    last = dispatch.delivery_attempts.order_by("-number").first()
    current = last is not None and last.number == dispatch.attempts
    if current and last.outcome == AttemptOutcome.SENT:
        held = True  # the provider accepted it; only the booking was lost
    elif current and last.outcome == AttemptOutcome.STARTED:
        held = provider_has(dispatch)
    else:
        held = False  # the provider was never called for this claim
    with transaction.atomic():
        same_claim = Dispatch.objects.select_for_update().filter(
            pk=dispatch.pk, status=DispatchStatus.SENDING, attempts=dispatch.attempts, claimed_at=dispatch.claimed_at
        )
        if same_claim.exists():
            _resolve_stuck(dispatch, last if current else None, held, now, counts)


def _resolve_stuck(
    dispatch: Dispatch, last: DeliveryAttempt | None, held: bool | None, now: datetime, counts: dict[str, int]
) -> None:
    """`last`: this claim's attempt, if it recorded one; `held`: whether the provider has the message."""
    current = last is not None
    if held is False:
        # The provider never had the message: retrying cannot duplicate anything.
        if current and last.outcome == AttemptOutcome.STARTED:
            close_attempt(last, AttemptOutcome.TRANSIENT, "worker stopped before the provider had it")
        Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.SENDING).update(
            status=DispatchStatus.QUEUED, next_attempt_at=now
        )
        counts["requeued"] += 1
    elif held is True:
        close_attempt(last, AttemptOutcome.SENT, last.detail or "found at the provider after a crash")
        listed = [item.invoice for item in dispatch.items.select_related("invoice")]
        mark_sent(dispatch, listed, now, dispatch.provider_message_id or message_id(dispatch))
        counts["proven_sent"] += 1
    else:
        finish(dispatch, DispatchStatus.UNCERTAIN, _("The worker stopped while sending; check whether it arrived."))
        ask_person(dispatch, "check_arrival")
        counts["uncertain"] += 1
