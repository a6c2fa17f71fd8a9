"""Which mandate state may follow which, in one place. Services call `check_transition` before they write."""

from __future__ import annotations

from django.utils.translation import gettext as _

from mandates.models import MandateState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PREPARED: frozenset({S.INVITED, S.OPENED, S.SIGNED, S.CANCELLED, S.EXPIRED}),
    S.INVITED: frozenset({S.OPENED, S.SIGNING, S.SIGNED, S.CANCELLED, S.EXPIRED}),
    S.OPENED: frozenset({S.SIGNING, S.SIGNED, S.CANCELLED, S.EXPIRED}),
    S.SIGNING: frozenset({S.SIGNED, S.CANCELLED, S.EXPIRED}),
    S.SIGNED: frozenset({S.SUSPENDED, S.CANCELLED, S.EXPIRED}),
    S.SUSPENDED: frozenset({S.SIGNED, S.CANCELLED, S.EXPIRED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
}

# Waiting for the debtor: the signing link works in these states.
AWAITING_SIGNATURE = frozenset({S.PREPARED, S.INVITED, S.OPENED, S.SIGNING})
# Ended for good: a new mandate is needed.
FINAL = frozenset({S.CANCELLED, S.EXPIRED})


class TransitionError(ValueError):
    """The mandate cannot go from its state to the one asked for."""


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise TransitionError(
            _("A mandate that is %(current)s cannot become %(target)s.")
            % {"current": S(current).label.lower(), "target": S(target).label.lower()}
        )
