"""Writes for mandates: references, state changes. Every change is logged on the mandate's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mandates.models import Mandate, MandateState, ReferenceCounter
from mandates.sepa import mandate_reference
from mandates.states import check_transition
from organizations.models import Organization
from organizations.services import log_action

# The timestamp each state stamps on the mandate when it is reached.
STAMPS = {
    MandateState.INVITED: "invited_at",
    MandateState.OPENED: "opened_at",
    MandateState.SIGNING: "signing_started_at",
    MandateState.SIGNED: "signed_at",
    MandateState.CANCELLED: "cancelled_at",
    MandateState.SUSPENDED: "suspended_at",
    MandateState.EXPIRED: "expired_at",
}


@transaction.atomic
def references_allocate(*, organization: Organization, prefix: str, count: int = 1) -> list[str]:
    """`count` new mandate references. The counter only goes up, so a reference is never handed out twice."""
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(organization=organization)
    first = counter.next_value
    ReferenceCounter.objects.filter(pk=counter.pk).update(next_value=F("next_value") + count)
    return [mandate_reference(prefix=prefix, sequence=first + offset) for offset in range(count)]


@transaction.atomic
def mandate_transition(
    *, mandate: Mandate, to: str, actor: Any = None, now: datetime | None = None, data: dict | None = None,
    **changes: Any,
) -> Mandate:  # fmt: skip
    """Move the mandate to state `to` (checked against mandates/states.py), with extra field changes."""
    now = now or timezone.now()
    locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
    check_transition(locked.state, to)
    previous = locked.state
    fields = {"state": to, **changes}
    if stamp := STAMPS.get(to):
        fields.setdefault(stamp, now)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    log_action(organization=locked.organization, subject=locked, code=f"mandate.{to}", actor=actor,
               data={"from": previous, **(data or {})})  # fmt: skip
    mandate.__dict__.update({name: getattr(locked, name) for name in [*fields, "updated_at"]})
    return locked
