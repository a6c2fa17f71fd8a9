"""The follow-up engine: decide, then deliver each message exactly once.

1. Scheduling: every open invoice carries `next_follow_up_at`, the moment its next step is due (inside the
   sending window, after holidays and pauses). A partial index makes "what is due now" cheap.
2. Deciding (`decide_due`, cross-tenant): for due invoices, write Dispatch rows. A Dispatch is unique per
   (invoice, step), so a repeated or concurrent tick creates nothing twice.
3. Delivering (`deliver_one`): claim one row with a compare-and-swap, re-check everything at send time
   (paid? disputed? paused? contact valid? switch off? too late?), record the attempt, then call the
   provider; no database lock is held during the call. Transient errors retry with backoff; permanent
   ones fail the dispatch and open a task for a person.
4. Sweeping (`sweep`): dispatches whose broker message was lost are delivered by the next tick (the
   database is the queue); a claim whose worker died is either safe to retry (the attempt was never
   recorded), proven sent (the provider has it), or marked uncertain for a person to resolve.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q

from customers.models import Customer
from invoices.models import Invoice, InvoiceStatus
from mandates.selectors import collection_hold_q, held_for_collection_ids
from organizations.models import Organization
from reminders.calendar import MONDAY_TO_FRIDAY, SendingWindow, next_send_time, step_send_time
from reminders.models import (
    Dispatch,
    DispatchInvoice,
    DispatchStatus,
    FollowUpPlan,
    FollowUpSettings,
    FollowUpStep,
    Grouping,
)

logger = logging.getLogger(__name__)

# Dispatch states in which an invoice counts as having reached the dispatch's step.
REACHED = (DispatchStatus.QUEUED, DispatchStatus.SENDING, DispatchStatus.SENT, DispatchStatus.TEST,
           DispatchStatus.UNCERTAIN)  # fmt: skip
# Longer than CELERY_TASK_TIME_LIMIT (10 minutes), so a live worker is never mistaken for a dead one.
LEASE = timedelta(minutes=15)


def settings_for(organization: Organization) -> FollowUpSettings:
    return FollowUpSettings.objects.get_or_create(organization=organization)[0]


def window_for(organization: Organization, follow_up: FollowUpSettings) -> SendingWindow:
    weekdays = frozenset(follow_up.weekdays) if follow_up.weekdays else MONDAY_TO_FRIDAY
    return SendingWindow(zone=organization.zone, weekdays=weekdays, start=follow_up.send_start, end=follow_up.send_end)


@dataclass
class PlanBook:
    """Plans and steps of one organization, loaded once per pass."""

    organization: Organization
    follow_up: FollowUpSettings
    window: SendingWindow
    default_plan: FollowUpPlan | None
    steps: dict[int, list[FollowUpStep]]
    plans: dict[int, FollowUpPlan]

    @classmethod
    def load(cls, organization: Organization) -> PlanBook:
        follow_up = settings_for(organization)
        plans = {plan.pk: plan for plan in FollowUpPlan.objects.filter(organization=organization)}
        steps: dict[int, list[FollowUpStep]] = defaultdict(list)
        for step in FollowUpStep.objects.filter(organization=organization).order_by("plan_id", "position"):
            steps[step.plan_id].append(step)
        default = next((plan for plan in plans.values() if plan.is_default), None)
        return cls(organization, follow_up, window_for(organization, follow_up), default, steps, plans)

    def plan_of(self, customer: Customer) -> FollowUpPlan | None:
        return self.plans.get(customer.follow_up_plan_id) if customer.follow_up_plan_id else self.default_plan

    def steps_of(self, customer: Customer) -> list[FollowUpStep]:
        plan = self.plan_of(customer)
        return self.steps.get(plan.pk, []) if plan else []


def reached_levels(invoice_ids: list[int]) -> dict[int, int]:
    """The highest step position each invoice reached (listed in a queued, sent or test dispatch)."""
    rows = (
        DispatchInvoice.objects.filter(
            invoice_id__in=invoice_ids, dispatch__status__in=REACHED, dispatch__step__isnull=False
        )  # fmt: skip
        .values("invoice_id")
        .annotate(level=Max("dispatch__step__position"))
    )
    return {row["invoice_id"]: row["level"] for row in rows}


def next_step(steps: list[FollowUpStep], level: int, invoice: Invoice) -> FollowUpStep | None:
    for step in steps:
        if step.position <= level:
            continue
        if step.min_open_amount is not None and invoice.open_amount < step.min_open_amount:
            continue
        return step
    return None


def step_time(book: PlanBook, invoice: Invoice, step: FollowUpStep) -> datetime:
    moment = step_send_time(due_date=invoice.due_date, offset_days=step.offset_days, window=book.window,
                            country=invoice.customer.country or book.organization.country)  # fmt: skip
    paused_until = invoice.customer.follow_up_paused_until
    if paused_until and moment.astimezone(book.window.zone).date() <= paused_until:
        after = datetime.combine(paused_until + timedelta(days=1), time(0, 0), tzinfo=book.window.zone)
        moment = next_send_time(at=after, window=book.window, country=invoice.customer.country)
    return moment


def follows_up(invoice: Invoice) -> bool:
    return (
        invoice.status == InvoiceStatus.OPEN and invoice.open_amount > 0 and not invoice.follow_up_paused
        and invoice.collection_requested_at is None  # direct debit (mandates.collection) takes care of it
    )  # fmt: skip


def reschedule(*, invoice_ids: list[int]) -> int:
    """Recompute `next_follow_up_at` for these invoices (after any change that could move it)."""
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).select_related("customer", "organization"))
    books: dict[int, PlanBook] = {}
    levels = reached_levels([invoice.pk for invoice in invoices])
    # Direct debit: requested or waiting for collection (mandates.selectors.collection_hold_q).
    held = held_for_collection_ids([invoice.pk for invoice in invoices])
    changed = 0
    for invoice in invoices:
        book = books.get(invoice.organization_id) or books.setdefault(invoice.organization_id,
                                                                      PlanBook.load(invoice.organization))  # fmt: skip
        step = (
            next_step(book.steps_of(invoice.customer), levels.get(invoice.pk, 0), invoice)
            if follows_up(invoice) and invoice.pk not in held
            else None
        )
        moment = step_time(book, invoice, step) if step else None
        if moment != invoice.next_follow_up_at:
            Invoice.objects.filter(pk=invoice.pk).update(next_follow_up_at=moment)
            changed += 1
    return changed


def reschedule_organization(*, organization: Organization, chunk: int = 2000) -> int:
    ids = list(
        Invoice.objects.filter(organization=organization, status=InvoiceStatus.OPEN).values_list("pk", flat=True)
    )
    return sum(reschedule(invoice_ids=ids[start : start + chunk]) for start in range(0, len(ids), chunk))


def reschedule_customer(*, customer: Customer) -> int:
    ids = list(Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN).values_list("pk", flat=True))
    return reschedule(invoice_ids=ids)


@dataclass
class Decision:
    customer: Customer
    invoice: Invoice  # the carrying invoice
    step: FollowUpStep
    listed: list[Invoice]
    scheduled_for: datetime


def decide_for_customer(book: PlanBook, customer: Customer, due: list[Invoice], now: datetime) -> list[Decision]:
    steps = book.steps_of(customer)
    plan = book.plan_of(customer)
    if not steps or plan is None:
        return []
    if plan.grouping == Grouping.PER_INVOICE:
        return [decision for invoice in due if (decision := _decide_one(book, steps, invoice, [invoice], now))]
    owed = [i for i in Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN, follow_up_paused=False,
                                               open_amount__gt=0)
            .exclude(collection_hold_q())  # direct debit takes care of these
            .order_by("due_date", "id")]  # fmt: skip
    if not owed:
        return []
    decision = _decide_one(book, steps, owed[0], owed, now)
    return [decision] if decision else []


def _decide_one(book, steps, carrying: Invoice, candidates: list[Invoice], now: datetime) -> Decision | None:
    """The most advanced step that is due for the carrying invoice; earlier, passed steps are not sent.

    An invoice that enters follow-up late (imported long overdue) gets the step it has reached, at once,
    instead of a burst of old ones. Its scheduled time is never before the invoice existed, so lateness
    (missed) only counts time the system could have sent and did not.
    """
    levels = reached_levels([invoice.pk for invoice in candidates])
    level = levels.get(carrying.pk, 0)
    due_steps = []
    for step in steps:
        if step.position <= level or (step.min_open_amount is not None and carrying.open_amount < step.min_open_amount):
            continue
        moment = step_time(book, carrying, step)
        if moment > now:
            break
        due_steps.append((step, moment))
    if not due_steps:
        return None
    step, moment = due_steps[-1]
    known_since = min(carrying.created_at, now)
    if moment < known_since:
        moment = next_send_time(at=known_since, window=book.window, country=carrying.customer.country or None)
    reached_day = now.astimezone(book.window.zone).date() - timedelta(days=step.offset_days)
    listed = [
        invoice for invoice in candidates
        if invoice.due_date <= reached_day and levels.get(invoice.pk, 0) < step.position
        and (step.min_open_amount is None or invoice.open_amount >= step.min_open_amount)
    ]  # fmt: skip
    if carrying not in listed:
        listed.insert(0, carrying)
    return Decision(carrying.customer, carrying, step, listed, min(moment, now))


def record_decision(decision: Decision, *, organization: Organization) -> Dispatch | None:
    """Write the outbox row; None when another tick already decided this (invoice, step)."""
    try:
        with transaction.atomic():
            dispatch = Dispatch.objects.create(
                organization=organization, customer=decision.customer, invoice=decision.invoice, step=decision.step,
                channel=decision.step.channel, scheduled_for=decision.scheduled_for,
                next_attempt_at=decision.scheduled_for,
            )  # fmt: skip
            DispatchInvoice.objects.bulk_create([
                DispatchInvoice(organization=organization, dispatch=dispatch, invoice=invoice,
                                open_amount=invoice.open_amount)
                for invoice in decision.listed
            ])  # fmt: skip
    except IntegrityError:
        return None
    return dispatch


def decide_due_cross_tenant(*, now: datetime, dry_run: bool = False, organization_ids: list[int] | None = None):
    """Cross-tenant by design (the scheduler): decide every due invoice of every organization with sending on.

    Returns the decisions (dry run) or the dispatches created.
    """
    due = Invoice.objects.filter(status=InvoiceStatus.OPEN, next_follow_up_at__lte=now)
    due = due.exclude(collection_hold_q())  # direct debit takes care of these (mandates.selectors)
    if organization_ids is not None:
        due = due.filter(organization_id__in=organization_ids)
    by_customer: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in due.select_related("customer", "organization").order_by(
        "organization_id", "customer_id", "due_date"
    ):
        by_customer[invoice.customer_id].append(invoice)
    results, books = [], {}
    for invoices in by_customer.values():
        organization = invoices[0].organization
        book = books.get(organization.pk) or books.setdefault(organization.pk, PlanBook.load(organization))
        if not book.follow_up.sending_enabled:
            continue
        decisions = decide_for_customer(book, invoices[0].customer, invoices, now)
        if dry_run:
            results += decisions
            continue
        for decision in decisions:
            if dispatch := record_decision(decision, organization=organization):
                results.append(dispatch)
        reschedule_customer(customer=invoices[0].customer)
    return results


def due_dispatch_ids(*, now: datetime, limit: int = 1000) -> list[int]:
    """Queued dispatches whose time has come (cross-tenant, oldest first)."""
    queued = Dispatch.objects.filter(status=DispatchStatus.QUEUED, next_attempt_at__lte=now)
    return list(queued.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def claim(*, dispatch_id: int, now: datetime) -> bool:
    claimed = Dispatch.objects.filter(pk=dispatch_id, status=DispatchStatus.QUEUED, next_attempt_at__lte=now).update(
        status=DispatchStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return claimed == 1


def stuck_dispatches(*, now: datetime) -> list[int]:
    return list(
        Dispatch.objects.filter(status=DispatchStatus.SENDING, claimed_at__lt=now - LEASE).values_list("pk", flat=True)
    )


def money_total(dispatch: Dispatch) -> Decimal:
    return sum((item.open_amount for item in dispatch.items.all()), Decimal("0"))


def upcoming(*, organization: Organization, now: datetime, days: int = 7) -> list[Invoice]:
    """Open invoices whose next follow-up falls in the coming days (the Upcoming page)."""
    until = now + timedelta(days=days)
    return list(
        Invoice.objects.filter(organization=organization, status=InvoiceStatus.OPEN, next_follow_up_at__lte=until)
        .filter(Q(next_follow_up_at__gte=now - timedelta(days=1)))
        .select_related("customer")
        .order_by("next_follow_up_at", "id")[:500]
    )


@dataclass
class Explanation:
    """What the engine will do next for an invoice, or why it will do nothing."""

    step: FollowUpStep | None = None
    at: datetime | None = None
    reason: str = ""
    notes: list[str] | None = None
    invoice: Invoice | None = None


def explain(invoice: Invoice, *, book: PlanBook | None = None) -> Explanation:
    from django.utils.translation import gettext as _

    from customers.models import EmailStatus

    book = book or PlanBook.load(invoice.organization)
    customer = invoice.customer
    if (
        invoice.status in (InvoiceStatus.PAID, InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF)
        or invoice.open_amount <= 0
    ):
        return Explanation(reason=_("Nothing is owed on this invoice."))
    if invoice.status == InvoiceStatus.DISPUTED:
        return Explanation(reason=_("Disputed: follow-up waits until the dispute is resolved."))
    if invoice.follow_up_paused:
        return Explanation(
            reason=_("Follow-up is paused for this invoice.") + _fmt_reason(invoice.follow_up_paused_reason)
        )
    if collection := _collection_reason(invoice):
        return Explanation(reason=collection)
    if not book.follow_up.sending_enabled:
        return Explanation(reason=_("Automatic sending is switched off for the organization."))
    plan = book.plan_of(customer)
    if plan is None:
        return Explanation(reason=_("No follow-up plan: give the customer a plan or choose a default plan."))
    steps = book.steps_of(customer)
    if not steps:
        return Explanation(reason=_("The plan “%(plan)s” has no steps.") % {"plan": plan.name})
    level = reached_levels([invoice.pk]).get(invoice.pk, 0)
    step = next_step(steps, level, invoice)
    if step is None:
        remaining = [s for s in steps if s.position > level]
        if remaining:
            return Explanation(reason=_("Below the minimum open amount of the remaining steps."))
        return Explanation(reason=_("Every step of the plan has been taken."))
    moment = step_time(book, invoice, step)
    notes = []
    nominal = invoice.due_date + timedelta(days=step.offset_days)
    if customer.follow_up_paused_until and moment.date() > customer.follow_up_paused_until >= nominal:
        notes.append(_("The customer is paused until %(date)s.") % {"date": customer.follow_up_paused_until}
                     + _fmt_reason(customer.follow_up_paused_reason))  # fmt: skip
    elif moment.astimezone(book.window.zone).date() > nominal:
        notes.append(_("Waiting for a business day (weekend or public holiday)."))
    has_contact = customer.contacts.filter(notify=True, email_status=EmailStatus.VALID).exists()
    if step.channel == "email" and not has_contact:
        notes.append(
            _("No contact that receives messages has a valid e-mail address: the e-mail will fail and open a task.")
        )
    if book.follow_up.test_mode:
        notes.append(_("Test mode: it will be rendered and recorded, not sent."))
    return Explanation(step=step, at=moment, notes=notes)


def _collection_reason(invoice: Invoice) -> str:
    """Why direct debit, not follow-up, takes care of this invoice ("" when it does not)."""
    from django.utils.translation import gettext as _

    if invoice.collection_requested_at is not None:
        return _("A direct debit has been requested: follow-up waits for the collection.")
    if held_for_collection_ids([invoice.pk]):
        return _("Waiting for direct-debit collection: the customer signed a SEPA mandate.")
    return ""


def _fmt_reason(reason: str) -> str:
    return f" ({reason})" if reason else ""


def explain_customer(customer: Customer) -> Explanation:
    """The customer's next follow-up (the earliest over its invoices), or why there is none."""
    from django.utils.translation import gettext as _

    owed = Invoice.objects.filter(customer=customer, status__in=Invoice.OWED_STATUSES, open_amount__gt=0)
    first = owed.filter(next_follow_up_at__isnull=False).order_by("next_follow_up_at", "id").first()
    oldest = first or owed.order_by("due_date", "id").first()
    if oldest is None:
        return Explanation(reason=_("Nothing is owed."))
    explanation = explain(oldest)
    explanation.invoice = oldest
    return explanation
