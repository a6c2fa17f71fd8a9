"""Review before sending: messages of a plan that reviews them wait (`awaiting_approval`) until staff decide.

Approve: the message is queued for the next sending window and goes out through the usual pipeline (claim,
re-check, attempt, send), so exactly once. Skip: it is marked skipped and the schedule moves on as for any
skipped step. Postpone: it leaves the list until the chosen day.

Each decision is a compare-and-swap on the awaiting state, one row at a time: approving twice, or two people
approving at once, moves the message once; only the move that happened is logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from messaging.models import Dispatch, DispatchInvoice, DispatchStatus
from organizations.models import Organization
from organizations.services import Actor, log_actions_many
from reminders.calendar import next_send_time
from reminders.engine import PlanBook, reschedule


@dataclass
class ReviewResult:
    """Which of the asked ids moved; the others were not awaiting approval (already decided, or unknown)."""

    done: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def awaiting_approval(*, organization: Organization, now: datetime | None = None) -> QuerySet[Dispatch]:
    """The organization's messages waiting for approval whose time has come (postponed ones return at their day)."""
    now = now or timezone.now()
    return (
        Dispatch.objects.filter(
            organization=organization, status=DispatchStatus.AWAITING_APPROVAL, next_attempt_at__lte=now
        )
        .select_related("customer", "step", "invoice")
        .order_by("next_attempt_at", "id")
    )


def postponed_count(*, organization: Organization, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Dispatch.objects.filter(
        organization=organization, status=DispatchStatus.AWAITING_APPROVAL, next_attempt_at__gt=now
    ).count()


def dispatches_approve(
    *, organization: Organization, dispatch_ids: list[int], actor: Actor, now: datetime | None = None
) -> ReviewResult:
    """Queue these awaiting messages for the next sending window (the next tick delivers them)."""
    now = now or timezone.now()
    window = PlanBook.load(organization).window

    def changes(dispatch: Dispatch) -> dict:
        country = dispatch.customer.country or organization.country
        opens = next_send_time(at=now, window=window, country=country)
        # Lateness (missed) counts from the approval: a message approved after days of review is not too late.
        return {"status": DispatchStatus.QUEUED, "scheduled_for": opens, "next_attempt_at": opens, "reason": ""}

    return _move(organization, dispatch_ids, changes, "invoice.reminder_approved", actor, {})


def dispatches_skip(*, organization: Organization, dispatch_ids: list[int], actor: Actor) -> ReviewResult:
    """Mark these awaiting messages skipped; their invoices' schedules move on to the next step."""
    with override(organization.default_language):
        reason = _("Skipped during review; not sent.")
    result = _move(
        organization,
        dispatch_ids,
        lambda _dispatch: {"status": DispatchStatus.SKIPPED, "reason": reason},
        "invoice.reminder_review_skipped",
        actor,
        {},
    )
    listed = DispatchInvoice.objects.filter(dispatch_id__in=result.done).values_list("invoice_id", flat=True)
    reschedule(invoice_ids=sorted(set(listed)))
    return result


def dispatches_postpone(
    *, organization: Organization, dispatch_ids: list[int], until: date, actor: Actor
) -> ReviewResult:
    """Take these awaiting messages off the list until `until` (the start of that day, in the organization's zone)."""
    returns = datetime.combine(until, time(0, 0), tzinfo=organization.zone)
    return _move(
        organization,
        dispatch_ids,
        lambda _dispatch: {"next_attempt_at": returns},
        "invoice.reminder_postponed",
        actor,
        {"until": until.isoformat()},
    )


def _move(
    organization: Organization, dispatch_ids: list[int], changes, code: str, actor: Actor, data: dict
) -> ReviewResult:
    """Apply `changes(dispatch)` to each awaiting dispatch of the organization with a compare-and-swap."""
    asked = sorted({int(pk) for pk in dispatch_ids})
    candidates = Dispatch.objects.filter(
        organization=organization, pk__in=asked, status=DispatchStatus.AWAITING_APPROVAL
    ).select_related("customer", "step")
    result, entries = ReviewResult(), []
    for dispatch in candidates:
        moved = Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.AWAITING_APPROVAL).update(
            **changes(dispatch)
        )
        if moved != 1:
            continue  # someone else decided it first
        result.done.append(dispatch.pk)
        entries += _entries(organization, dispatch, code, actor, data)
    moved = set(result.done)
    result.unchanged = [pk for pk in asked if pk not in moved]
    log_actions_many(entries)
    return result


def _entries(organization: Organization, dispatch: Dispatch, code: str, actor: Actor, data: dict) -> list[dict]:
    """One entry per listed invoice, so each invoice's timeline tells what became of its message."""
    with override(organization.default_language):
        step = str(dispatch.step or _("Manual reminder"))
    details = {"dispatch": dispatch.pk, "step": step, **data}
    items = DispatchInvoice.objects.filter(dispatch=dispatch).select_related("invoice")
    return [
        {"organization": organization, "subject": item.invoice, "code": code, "actor": actor, "data": details}
        for item in items
    ]


@dataclass
class ReviewRow:
    """One awaiting message as the reviewer sees it: to whom, about what, and the text as it would go out."""

    dispatch: Dispatch
    invoices: list
    amount: object
    currency: str
    contacts: list[str]
    subject: str
    text: str
    nothing_owed: bool = False  # paid, credited, disputed or paused since: approving it sends nothing (skipped)


def review_rows(dispatches: list[Dispatch], *, now: datetime | None = None) -> list[ReviewRow]:
    """Previews rendered as the delivery would render them now: the same invoices (`owed_invoices`, direct debit's
    left out), contacts and texts the delivery would use if it went out at this moment."""
    from mandates.selectors import held_for_collection_ids
    from messaging.delivery import contacts_for
    from reminders.follow_up_messages import owed_invoices, render

    now = now or timezone.now()
    items_of = {
        dispatch.pk: list(dispatch.items.select_related("invoice").order_by("invoice__due_date", "invoice_id"))
        for dispatch in dispatches
    }
    held = held_for_collection_ids([item.invoice_id for items in items_of.values() for item in items])
    rows = []
    for dispatch in dispatches:
        items = items_of[dispatch.pk]
        owed = owed_invoices(items, held)
        shown = owed or [item.invoice for item in items]
        contacts = contacts_for(dispatch)
        content = render(dispatch, shown, now, contacts=contacts)
        rows.append(
            ReviewRow(
                dispatch=dispatch,
                invoices=shown,
                amount=sum(invoice.open_amount for invoice in owed),
                currency=shown[0].currency if shown else "EUR",
                contacts=[
                    f"{contact.name} <{contact.email}>" if contact.name else contact.email for contact in contacts
                ],
                subject=content["subject"],
                text=content["text_body"],
                nothing_owed=not owed,
            )
        )
    return rows
