"""The follow-up engine: decide, then deliver each message exactly once.

1. Scheduling: every open invoice carries `next_follow_up_at`, the moment its next step is due (inside the
   sending window, after holidays and pauses). A partial index makes "what is due now" cheap.
2. Deciding (`reminders.decide`, cross-tenant): for due invoices, write Dispatch rows. A Dispatch is unique per
   (invoice, step), so a repeated or concurrent tick creates nothing twice. A late arrival starts at its plan's
   entry step and its next steps count from that first message (`Dispatch.schedule_from`). A plan that reviews
   its messages writes them `awaiting_approval`; people release them (`reminders.review`), nothing else does.
3. Delivering (`deliver_many`, `deliver_one`): claim rows with a compare-and-swap, re-check everything at send time
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
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from django.db.models import Max, Q
from django.utils import timezone

from customers.models import Customer
from invoices.models import Invoice, InvoiceStatus
from localized.dates import format_date, format_datetime
from mandates.selectors import collection_hold_q, collection_hold_sql, held_for_collection_ids
from messaging.models import Dispatch, DispatchInvoice, DispatchStatus, StepChannel
from organizations.models import Organization
from reminders.calendar import MONDAY_TO_FRIDAY, SendingWindow, next_send_time, step_send_time
from reminders.models import FollowUpPlan, FollowUpSettings, FollowUpStep

logger = logging.getLogger(__name__)

# Dispatch states in which an invoice counts as having reached the dispatch's step.
# A message waiting for approval counts like a queued one: it is decided, the schedule moves on from it; when the
# next message is decided, the waiting one is skipped as overtaken (`reminders.decide._overtake_awaiting`), so a
# reviewer sees only the latest level and two levels never go out together.
REACHED = (
    DispatchStatus.AWAITING_APPROVAL,
    DispatchStatus.QUEUED,
    DispatchStatus.SENDING,
    DispatchStatus.SENT,
    DispatchStatus.TEST,
    DispatchStatus.UNCERTAIN,
)
# Steps whose messages a plan that reviews before sending holds for approval (tasks and manual steps are not
# messages to the debtor).
REVIEWED_CHANNELS = frozenset({StepChannel.EMAIL, StepChannel.LETTER})
RESCHEDULE_CHUNK = 2000


def settings_for(organization: Organization) -> FollowUpSettings:
    return FollowUpSettings.objects.get_or_create(organization=organization)[0]


def window_for(organization: Organization, follow_up: FollowUpSettings) -> SendingWindow:
    weekdays = frozenset(follow_up.weekdays) if follow_up.weekdays else MONDAY_TO_FRIDAY
    return SendingWindow(zone=organization.zone, weekdays=weekdays, start=follow_up.send_start, end=follow_up.send_end)


@dataclass
class PlanBook:
    """Settings, plans and steps of one organization, loaded once per pass.

    The plans and steps are read on first use: delivering needs only the settings and the sending window.
    """

    organization: Organization
    follow_up: FollowUpSettings
    window: SendingWindow

    @classmethod
    def load(cls, organization: Organization) -> PlanBook:
        follow_up = settings_for(organization)
        return cls(organization, follow_up, window_for(organization, follow_up))

    @cached_property
    def plans(self) -> dict[int, FollowUpPlan]:
        return {plan.pk: plan for plan in FollowUpPlan.objects.filter(organization=self.organization)}

    @cached_property
    def steps(self) -> dict[int, list[FollowUpStep]]:
        steps: dict[int, list[FollowUpStep]] = defaultdict(list)
        for step in FollowUpStep.objects.filter(organization=self.organization).order_by("plan_id", "position"):
            steps[step.plan_id].append(step)
        return steps

    @cached_property
    def default_plan(self) -> FollowUpPlan | None:
        return next((plan for plan in self.plans.values() if plan.is_default), None)

    def plan_of(self, customer: Customer) -> FollowUpPlan | None:
        return self.plan_by_id(customer.follow_up_plan_id)

    def steps_of(self, customer: Customer) -> list[FollowUpStep]:
        plan = self.plan_of(customer)
        return self.steps.get(plan.pk, []) if plan else []

    def plan_by_id(self, plan_id: int | None) -> FollowUpPlan | None:
        """The customer's own plan (by id), or the default plan when it has none."""
        return self.plans.get(plan_id) if plan_id else self.default_plan


def taken_levels(invoice_ids: list[int]) -> dict[int, int]:
    """The level each invoice's schedule continues from: the highest step whose message listed it or was keyed on
    it, whatever became of that message (sent, or failed, skipped, missed: one per (invoice, step)).

    Such a step can never be decided again for this invoice, so waiting for it again would leave the invoice
    due on every tick until its next step; the schedule moves on to the next step instead.

    One statement for the whole set (a UNION of two grouped reads), each side through an index on `invoice_id`
    (the foreign keys of the dispatch items and of the dispatches): never a query per invoice.
    """
    ids = list(invoice_ids)
    if not ids:
        return {}
    # A grouped message is keyed on its oldest invoice, but every invoice it listed carried the step.
    carried = (
        DispatchInvoice.objects.filter(invoice_id__in=ids, dispatch__step__isnull=False)
        .values("invoice_id")
        .annotate(level=Max("dispatch__step__position"))
        .order_by()
    )
    keyed = (
        Dispatch.objects.filter(invoice_id__in=ids, step__isnull=False)
        .values("invoice_id")
        .annotate(level=Max("step__position"))
        .order_by()
    )
    levels: dict[int, int] = {}
    for invoice_id, level in carried.union(keyed, all=True).values_list("invoice_id", "level"):
        levels[invoice_id] = max(levels.get(invoice_id, 0), level)
    return levels


def schedule_anchors(invoice_ids: list[int]) -> dict[int, date]:
    """The day each late arrival's schedule counts from (set by its first message), for the invoices that have one.

    Every other invoice's steps count from its due date.
    """
    rows = (
        DispatchInvoice.objects.filter(invoice_id__in=invoice_ids, dispatch__schedule_from__isnull=False)
        .values("invoice_id")
        .annotate(anchor=Max("dispatch__schedule_from"))
    )
    return {row["invoice_id"]: row["anchor"] for row in rows}


def first_reminder(steps: list[FollowUpStep]) -> FollowUpStep | None:
    """The plan's first step after the due date: a later arrival has passed more than the friendly reminders."""
    return next((step for step in steps if step.offset_days > 0), None)


def late_entry_step(plan: FollowUpPlan, steps: list[FollowUpStep]) -> FollowUpStep | None:
    """Where a late arrival starts: the plan's own choice, else its first reminder after the due date.

    A choice whose offset was later moved before the due date (or stored before the forms refused one) is ignored:
    an overdue invoice never gets the "due soon" text."""
    named = next((step for step in steps if step.pk == plan.late_entry_step_id and step.offset_days > 0), None)
    return named or first_reminder(steps)


def late_arrival_step(book: PlanBook, invoice: Invoice, at: datetime) -> FollowUpStep | None:
    """The step an invoice new to follow-up starts at when, at `at`, it has already passed its plan's first
    reminder and more (imported or created long overdue); None when it is not such a late arrival.

    The same rule as the deciding (`reminders.decide._Chooser`), for one invoice: the explanations use it.
    """
    steps, plan = book.steps_of(invoice.customer), book.plan_of(invoice.customer)
    first, reached = first_reminder(steps), None
    for step in steps:
        if step.min_open_amount is not None and invoice.open_amount < step.min_open_amount:
            continue
        if step_time(book, invoice, step) > at:
            break
        reached = step
    if plan is None or first is None or reached is None or reached.position <= first.position:
        return None
    entry = late_entry_step(plan, steps)
    return next_step(steps, entry.position - 1, invoice) or reached


def next_step(steps: list[FollowUpStep], level: int, invoice: Invoice) -> FollowUpStep | None:
    for step in steps:
        if step.position <= level:
            continue
        if step.min_open_amount is not None and invoice.open_amount < step.min_open_amount:
            continue
        return step
    return None


@lru_cache(maxsize=65_536)
def _step_send_time(due_date: date, offset_days: int, window: SendingWindow, country: str | None) -> datetime:
    """`step_send_time`, cached: a busy day asks for the same few (day, country) pairs many thousand times."""
    return step_send_time(due_date=due_date, offset_days=offset_days, window=window, country=country)


def step_time(book: PlanBook, invoice: Invoice, step: FollowUpStep, anchor: date | None = None) -> datetime:
    """When the step is due for the invoice: its offset from the due date, or from a late arrival's `anchor`."""
    customer = invoice.customer
    return step_moment(
        book, anchor or invoice.due_date, step.offset_days, customer.country, customer.follow_up_paused_until
    )


def step_moment(book: PlanBook, due_date: date, offset_days: int, country: str, paused_until: date | None) -> datetime:
    moment = _step_send_time(due_date, offset_days, book.window, country or book.organization.country)
    if paused_until and moment.astimezone(book.window.zone).date() <= paused_until:
        after = datetime.combine(paused_until + timedelta(days=1), time(0, 0), tzinfo=book.window.zone)
        moment = next_send_time(at=after, window=book.window, country=country)
    return moment


# "This invoice is under follow-up": open, something owed, not paused, not left to direct debit (requested, or
# waiting for the next collection: mandates.selectors.collection_hold_q). One rule, in the three forms the code
# needs; tests/mandates/test_one_definition_per_rule.py proves they select the same rows. `explain` walks the same
# conditions one by one to say which one stops an invoice.


def owed_sql(alias: str) -> str:
    """The owed part of the rule on the invoice row aliased `alias` (deciding checks status and hold apart)."""
    return f"(NOT {alias}.follow_up_paused AND {alias}.open_amount > 0)"


def under_follow_up_sql(alias: str) -> str:
    """The rule as an SQL condition on the invoice row aliased `alias`. Constants only; no parameters."""
    return f"({alias}.status = '{InvoiceStatus.OPEN.value}' AND {owed_sql(alias)} AND NOT {collection_hold_sql(alias)})"


def under_follow_up_q() -> Q:
    """The rule as a filter on invoices."""
    return Q(status=InvoiceStatus.OPEN, open_amount__gt=0, follow_up_paused=False) & ~collection_hold_q()


def under_follow_up(invoice: Invoice, *, held: set[int]) -> bool:
    """The rule on a loaded invoice; `held`: the ids direct debit holds (mandates.selectors.held_for_collection_ids)."""
    return (
        invoice.status == InvoiceStatus.OPEN and invoice.open_amount > 0 and not invoice.follow_up_paused
        and invoice.pk not in held
    )  # fmt: skip


def reschedule(*, invoice_ids: list[int], chunk: int = RESCHEDULE_CHUNK) -> int:
    """Recompute `next_follow_up_at` for these invoices (after any change that could move it).

    Set-based: per chunk, one read of the invoices and one of their levels, then one UPDATE per distinct new moment
    (invoices of the same day and country share one).
    """
    ids = list(invoice_ids)
    books: dict[int, PlanBook] = {}
    return sum(_reschedule_chunk(ids[start : start + chunk], books) for start in range(0, len(ids), chunk))


@dataclass(slots=True)
class _Customer:
    follow_up_plan_id: int | None
    country: str
    follow_up_paused_until: date | None


@dataclass(slots=True)
class _Scheduled:
    """What rescheduling reads of an invoice and its customer (under_follow_up, next_step, step_time), as plain
    attributes: a busy tick reschedules 100,000s of invoices, and building model instances (an invoice and its
    customer each) was a third of its time."""

    pk: int
    organization_id: int
    status: str
    open_amount: Decimal
    follow_up_paused: bool
    due_date: date
    next_follow_up_at: datetime | None
    customer: _Customer


RESCHEDULE_FIELDS = (
    "pk",
    "organization_id",
    "status",
    "open_amount",
    "follow_up_paused",
    "due_date",
    "next_follow_up_at",
    "customer__follow_up_plan_id",
    "customer__country",
    "customer__follow_up_paused_until",
)


def _reschedule_chunk(invoice_ids: list[int], books: dict[int, PlanBook]) -> int:
    invoices = [
        _Scheduled(*row[:7], _Customer(*row[7:]))
        for row in Invoice.objects.filter(pk__in=invoice_ids).values_list(*RESCHEDULE_FIELDS)
    ]
    levels = taken_levels([invoice.pk for invoice in invoices])
    anchors = schedule_anchors([invoice.pk for invoice in invoices]) if levels else {}
    moves: dict[datetime | None, list[int]] = defaultdict(list)
    # Direct debit: requested or waiting for collection (mandates.selectors.collection_hold_q).
    held = held_for_collection_ids([invoice.pk for invoice in invoices])
    for invoice in invoices:
        book = books.get(invoice.organization_id)
        if book is None:
            book = books[invoice.organization_id] = PlanBook.load(Organization.objects.get(pk=invoice.organization_id))
        step = (
            next_step(book.steps_of(invoice.customer), levels.get(invoice.pk, 0), invoice)
            if under_follow_up(invoice, held=held)
            else None
        )
        moment = step_time(book, invoice, step, anchors.get(invoice.pk)) if step else None
        if moment != invoice.next_follow_up_at:
            moves[moment].append(invoice.pk)
    for moment, moved in moves.items():
        Invoice.objects.filter(pk__in=moved).update(next_follow_up_at=moment)
    return sum(len(moved) for moved in moves.values())


def reschedule_organization(*, organization: Organization, chunk: int = 2000) -> int:
    ids = list(
        Invoice.objects.filter(organization=organization, status=InvoiceStatus.OPEN).values_list("pk", flat=True)
    )
    return reschedule(invoice_ids=ids, chunk=chunk)


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
    # The organization's time zone: `when` reads in it whatever zone the reader's page has active.
    zone: ZoneInfo | None = None

    @property
    def when(self) -> str:
        """`21/12/2026 09:00 CET`: the moment in the organization's zone, with the zone (CET or CEST)."""
        if self.at is None:
            return ""
        with timezone.override(self.zone or timezone.get_current_timezone()):
            return format_datetime(self.at, with_zone=True)


class ExplainFacts:
    """What explaining needs beyond the invoice and its customer, read for a whole page of invoices at once and
    only when first asked for: a fixed number of queries however many invoices are listed, never one per invoice.
    """

    def __init__(self, invoices: list[Invoice]) -> None:
        self.invoice_ids = [invoice.pk for invoice in invoices]
        self.customer_ids = {invoice.customer_id for invoice in invoices}

    @cached_property
    def levels(self) -> dict[int, int]:
        return taken_levels(self.invoice_ids)

    @cached_property
    def held(self) -> set[int]:
        return held_for_collection_ids(self.invoice_ids)

    @cached_property
    def anchors(self) -> dict[int, date]:
        return schedule_anchors(self.invoice_ids)

    @cached_property
    def awaiting_approval(self) -> dict[int, str]:
        """Invoice -> the name of the step whose message about it waits on "To approve"."""
        waiting = DispatchInvoice.objects.filter(
            invoice_id__in=self.invoice_ids, dispatch__status=DispatchStatus.AWAITING_APPROVAL
        ).values_list("invoice_id", "dispatch__step__name")
        return {invoice_id: name or "" for invoice_id, name in waiting}

    @cached_property
    def reachable_customers(self) -> set[int]:
        """Customers with a contact who receives messages and has a valid e-mail address."""
        from customers.models import Contact, EmailStatus

        contacts = Contact.objects.filter(customer_id__in=self.customer_ids, notify=True)
        valid = contacts.filter(email_status=EmailStatus.VALID).values_list("customer_id", flat=True)
        return set(valid.distinct())


def explain_many(invoices: list[Invoice], *, book: PlanBook) -> list[Explanation]:
    """`explain` for every listed invoice (of one organization, customers selected) in a bounded number of queries."""
    facts = ExplainFacts(invoices)
    return [explain(invoice, book=book, facts=facts) for invoice in invoices]


def explain(invoice: Invoice, *, book: PlanBook | None = None, facts: ExplainFacts | None = None) -> Explanation:
    from django.utils.translation import gettext as _

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
    facts = facts or ExplainFacts([invoice])
    if collection := _collection_reason(invoice, held=facts.held):
        return Explanation(reason=collection)
    if not book.follow_up.sending_enabled:
        return Explanation(reason=_("Automatic sending is switched off for the organization."))
    plan = book.plan_of(customer)
    if plan is None:
        return Explanation(reason=_("No follow-up plan: give the customer a plan or choose a default plan."))
    steps = book.steps_of(customer)
    if not steps:
        return Explanation(reason=_("The plan “%(plan)s” has no steps.") % {"plan": plan.name})
    level = facts.levels.get(invoice.pk, 0)
    step = next_step(steps, level, invoice)
    if step is None:
        remaining = [s for s in steps if s.position > level]
        if remaining:
            return Explanation(reason=_("Below the minimum open amount of the remaining steps."))
        return Explanation(reason=_("Every step of the plan has been taken."))
    anchor = facts.anchors.get(invoice.pk) if level else None
    moment = step_time(book, invoice, step, anchor)
    notes = []
    nominal = (anchor or invoice.due_date) + timedelta(days=step.offset_days)
    if not level and (late := _late_arrival(book, invoice, moment)):
        step, moment, nominal = late
        notes.append(
            _(
                "Entered follow-up late: it starts with “%(step)s”; the next steps keep the plan's spacing "
                "from that first message."
            )
            % {"step": step.name}
        )
    elif anchor:
        notes.append(_("Entered follow-up late: the steps count from its first message, not from the due date."))
    if customer.follow_up_paused_until and moment.date() > customer.follow_up_paused_until >= nominal:
        paused_until = format_date(customer.follow_up_paused_until, country=book.organization.country)
        notes.append(_("The customer is paused until %(date)s.") % {"date": paused_until}
                     + _fmt_reason(customer.follow_up_paused_reason))  # fmt: skip
    elif moment.astimezone(book.window.zone).date() > nominal:
        notes.append(_("Waiting for a business day (weekend or public holiday)."))
    if step.channel == "email" and customer.pk not in facts.reachable_customers:
        notes.append(
            _("No contact that receives messages has a valid e-mail address: the e-mail will fail and open a task.")
        )
    if level and (waiting := facts.awaiting_approval.get(invoice.pk)):
        notes.append(_("“%(step)s” is waiting for approval on “To approve”.") % {"step": waiting})
    if book.follow_up.test_mode:
        notes.append(_("Test mode: it will be rendered and recorded, not sent."))
    elif plan.review_before_sending and step.channel in REVIEWED_CHANNELS:
        notes.append(_("The plan reviews messages before sending: it waits on “To approve” until someone approves it."))
    return Explanation(step=step, at=moment, notes=notes, zone=book.window.zone)


def _late_arrival(book: PlanBook, invoice: Invoice, moment: datetime) -> tuple[FollowUpStep, datetime, date] | None:
    """A late arrival's first step, when it goes out (the next sending time from now) and its nominal day."""
    from django.utils import timezone

    at = max(moment, timezone.now())
    step = late_arrival_step(book, invoice, at)
    if step is None:
        return None
    country = invoice.customer.country or book.organization.country
    return step, next_send_time(at=at, window=book.window, country=country), at.astimezone(book.window.zone).date()


def _collection_reason(invoice: Invoice, *, held: set[int]) -> str:
    """Why direct debit, not follow-up, takes care of this invoice ("" when it does not)."""
    from django.utils.translation import gettext as _

    if invoice.collection_requested_at is not None:
        return _("A direct debit has been requested: follow-up waits for the collection.")
    if invoice.pk in held:
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
    # The page already holds the customer (and its organization): explaining reads neither again.
    oldest.customer = customer
    explanation = explain(oldest, book=PlanBook.load(customer.organization))
    explanation.invoice = oldest
    return explanation
