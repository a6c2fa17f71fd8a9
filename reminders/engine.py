"""The follow-up engine: decide, then deliver each message exactly once.

1. Scheduling: every open invoice carries `next_follow_up_at`, the moment its next step is due (inside the
   sending window, after holidays and pauses). A partial index makes "what is due now" cheap.
2. Deciding (`decide_due`, cross-tenant): for due invoices, write Dispatch rows. A Dispatch is unique per
   (invoice, step), so a repeated or concurrent tick creates nothing twice.
3. Delivering (`deliver_many`, `deliver_one`): claim rows with a compare-and-swap, re-check everything at send time
   (paid? disputed? paused? contact valid? switch off? too late?), record the attempt, then call the
   provider; no database lock is held during the call. Transient errors retry with backoff; permanent
   ones fail the dispatch and open a task for a person.
4. Sweeping (`sweep`): dispatches whose broker message was lost are delivered by the next tick (the
   database is the queue); a claim whose worker died is either safe to retry (the attempt was never
   recorded), proven sent (the provider has it), or marked uncertain for a person to resolve.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import F, Max, Model, Q
from django.db.models.base import ModelState
from django.db.models.constants import OnConflict

from customers.models import Customer
from invoices.models import Invoice, InvoiceStatus
from mandates.selectors import collection_hold_q, collection_hold_sql, held_for_collection_ids
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
RESCHEDULE_CHUNK = 2000
INSERT_BATCH = 500


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


@lru_cache(maxsize=65_536)
def _step_send_time(due_date: date, offset_days: int, window: SendingWindow, country: str | None) -> datetime:
    """`step_send_time`, cached: a busy day asks for the same few (day, country) pairs many thousand times."""
    return step_send_time(due_date=due_date, offset_days=offset_days, window=window, country=country)


def step_time(book: PlanBook, invoice: Invoice, step: FollowUpStep) -> datetime:
    customer = invoice.customer
    return _step_moment(book, invoice.due_date, step.offset_days, customer.country, customer.follow_up_paused_until)


def _step_moment(book: PlanBook, due_date: date, offset_days: int, country: str, paused_until: date | None) -> datetime:
    moment = _step_send_time(due_date, offset_days, book.window, country or book.organization.country)
    if paused_until and moment.astimezone(book.window.zone).date() <= paused_until:
        after = datetime.combine(paused_until + timedelta(days=1), time(0, 0), tzinfo=book.window.zone)
        moment = next_send_time(at=after, window=book.window, country=country)
    return moment


def follows_up(invoice: Invoice) -> bool:
    return (
        invoice.status == InvoiceStatus.OPEN and invoice.open_amount > 0 and not invoice.follow_up_paused
        and invoice.collection_requested_at is None  # direct debit (mandates.collection) takes care of it
    )  # fmt: skip


def reschedule(*, invoice_ids: list[int], chunk: int = RESCHEDULE_CHUNK) -> int:
    """Recompute `next_follow_up_at` for these invoices (after any change that could move it).

    Set-based: per chunk, one read of the invoices and one of their levels, then one UPDATE per distinct new moment
    (invoices of the same day and country share one).
    """
    ids = list(invoice_ids)
    books: dict[int, PlanBook] = {}
    return sum(_reschedule_chunk(ids[start : start + chunk], books) for start in range(0, len(ids), chunk))


def _reschedule_chunk(invoice_ids: list[int], books: dict[int, PlanBook]) -> int:
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).select_related("customer", "organization"))
    levels = reached_levels([invoice.pk for invoice in invoices])
    moves: dict[datetime | None, list[int]] = defaultdict(list)
    # Direct debit: requested or waiting for collection (mandates.selectors.collection_hold_q).
    held = held_for_collection_ids([invoice.pk for invoice in invoices])
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
            moves[moment].append(invoice.pk)
    for moment, moved in moves.items():
        Invoice.objects.filter(pk__in=moved).update(next_follow_up_at=moment)
    return sum(len(moved) for moved in moves.values())


def reschedule_organization(*, organization: Organization, chunk: int = 2000) -> int:
    ids = list(
        Invoice.objects.filter(organization=organization, status=InvoiceStatus.OPEN).values_list("pk", flat=True)
    )
    return reschedule(invoice_ids=ids, chunk=chunk)


def reschedule_customer(*, customer: Customer) -> int:
    ids = list(Invoice.objects.filter(customer=customer, status=InvoiceStatus.OPEN).values_list("pk", flat=True))
    return reschedule(invoice_ids=ids)


@dataclass(slots=True)
class Decision:
    customer: Customer
    invoice: Invoice  # the carrying invoice
    step: FollowUpStep
    listed: list[Invoice]
    scheduled_for: datetime


@dataclass(slots=True, eq=False)  # compared by identity
class _Candidate:
    """An invoice as the decide statement returns it, before it becomes a model instance (if it is listed)."""

    pk: int
    due_date: date
    open_amount: Decimal
    created_at: datetime | None  # only for the invoices that can carry a step
    level: int
    is_due: bool
    is_owed: bool
    values: tuple  # the columns of _INVOICE_FIELDS (without created_at when it is None)


@dataclass(slots=True)
class _Debtor:
    pk: int
    country: str
    paused_until: date | None
    plan_id: int | None
    values: tuple  # the columns of _CUSTOMER_FIELDS


def _decide_one(book: PlanBook, steps: list[FollowUpStep], debtor: _Debtor, carrying: _Candidate,
                candidates: list[_Candidate], now: datetime, moments: dict) -> tuple | None:  # fmt: skip
    """The most advanced step that is due for the carrying invoice; earlier, passed steps are not sent.

    An invoice that enters follow-up late (imported long overdue) gets the step it has reached, at once,
    instead of a burst of old ones. Its scheduled time is never before the invoice existed, so lateness
    (missed) only counts time the system could have sent and did not. Returns (step, listed, scheduled_for).
    """
    chosen = None
    for step in steps:
        if step.position <= carrying.level or (
            step.min_open_amount is not None and carrying.open_amount < step.min_open_amount
        ):
            continue
        key = (carrying.due_date, step.offset_days, debtor.country, debtor.paused_until)
        moment = moments.get(key)
        if moment is None:
            moment = moments[key] = _step_moment(book, *key)
        if moment > now:
            break
        chosen = (step, moment)
    if chosen is None:
        return None
    step, moment = chosen
    known_since = min(carrying.created_at, now)
    if moment < known_since:
        key = (known_since, debtor.country or None)
        moment = moments.get(key)
        if moment is None:
            moment = moments[key] = next_send_time(at=known_since, window=book.window, country=key[1])
    reached_day = moments["today"] - timedelta(days=step.offset_days)
    listed = [
        invoice for invoice in candidates
        if invoice.due_date <= reached_day and invoice.level < step.position
        and (step.min_open_amount is None or invoice.open_amount >= step.min_open_amount)
    ]  # fmt: skip
    if carrying not in listed:
        listed.insert(0, carrying)
    return step, listed, min(moment, now)


def decide_due_cross_tenant(*, now: datetime, dry_run: bool = False, organization_ids: list[int] | None = None):
    """Cross-tenant by design (the scheduler): decide every due invoice of every organization with sending on.

    Set-based per organization: one statement reads the due customers with their candidate invoices and the
    levels these reached; the steps are chosen in Python (sending windows, holidays, pauses); the outbox rows
    are inserted in batches. Returns the decisions (dry run) or the dispatches created.
    """
    due = Invoice.objects.filter(status=InvoiceStatus.OPEN, next_follow_up_at__lte=now)
    due = due.exclude(collection_hold_q())  # direct debit takes care of these (mandates.selectors)
    if organization_ids is not None:
        due = due.filter(organization_id__in=organization_ids)
    due_organizations = set(due.order_by().values_list("organization_id", flat=True).distinct())
    organizations = Organization.objects.filter(pk__in=due_organizations).order_by("pk")
    with _without_cycle_collection():
        return _decide_organizations(list(organizations), now=now, dry_run=dry_run)


def _decide_organizations(organizations: list[Organization], *, now: datetime, dry_run: bool) -> list:
    results: list = []
    for organization in organizations:
        book = PlanBook.load(organization)
        if not book.follow_up.sending_enabled:
            continue
        decisions, due_invoice_ids = _decide_organization(book, now)
        if dry_run:
            results += decisions
            continue
        results += record_decisions(decisions, organization=organization)
        # The invoices whose next step can have moved: the due ones and the listed ones (they reached a level).
        # Any other invoice's level, plan and amounts are as when it was last scheduled.
        listed = {invoice.pk for decision in decisions for invoice in decision.listed}
        reschedule(invoice_ids=sorted(set(due_invoice_ids) | listed))
    return results


@contextmanager
def _without_cycle_collection():
    """Pause the cycle collector while a busy day builds 100,000s of objects that form no reference cycles.

    Each full collection walks every live object, so on a day of 100,000 decisions the collector took more time
    than the deciding. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _decide_organization(book: PlanBook, now: datetime) -> tuple[list[Decision], list[int]]:
    """The decisions of one organization at `now`, and the ids of its due invoices."""
    decisions: list[Decision] = []
    due_invoice_ids: list[int] = []
    # Send times already computed, per (due date, offset, country, pause) and (moment, country), and today's date.
    moments: dict = {"today": now.astimezone(book.window.zone).date()}
    for debtor, candidates in _candidates(book, now):
        due_invoice_ids += [invoice.pk for invoice in candidates if invoice.is_due]
        plan = book.plan_by_id(debtor.plan_id)
        steps = book.steps.get(plan.pk, []) if plan else []
        if not steps:
            continue
        if plan.grouping == Grouping.PER_INVOICE:
            chosen = [
                (invoice, choice) for invoice in candidates
                if invoice.is_due and (choice := _decide_one(book, steps, debtor, invoice, [invoice], now, moments))
            ]  # fmt: skip
        else:
            owed = [invoice for invoice in candidates if invoice.is_owed]
            choice = _decide_one(book, steps, debtor, owed[0], owed, now, moments) if owed else None
            chosen = [(owed[0], choice)] if choice else []
        if chosen:
            customer = _instance(Customer, _CUSTOMER_FIELDS, debtor.values)
            decisions += [_decision(customer, carrying, *choice) for carrying, choice in chosen]
    return decisions, due_invoice_ids


def _decision(customer: Customer, carrying: _Candidate, step, listed: list[_Candidate], at: datetime) -> Decision:
    invoices = [_invoice(customer, candidate) for candidate in listed]
    return Decision(customer, invoices[listed.index(carrying)], step, invoices, at)


def _invoice(customer: Customer, candidate: _Candidate) -> Invoice:
    names = _INVOICE_FIELDS if candidate.created_at is not None else _INVOICE_FIELDS_BUT_CREATED
    invoice = _instance(Invoice, names, candidate.values)
    invoice._state.fields_cache["customer"] = customer
    return invoice


def _instance(model, names: tuple[str, ...], values) -> Model:
    """An instance with these fields loaded and the others deferred, as `Model.from_db` makes it, without
    `Model.__init__`'s work per field (a busy day makes 150,000 of them; no init signal is connected to these
    models)."""
    instance = model.__new__(model)
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
    instance.__dict__.update(zip(names, values, strict=True))
    return instance


_INVOICE_FIELDS = ("id", "organization_id", "customer_id", "number", "due_date", "open_amount", "currency", "status",
                   "follow_up_paused", "created_at")  # fmt: skip
_INVOICE_FIELDS_BUT_CREATED = _INVOICE_FIELDS[:-1]
_CUSTOMER_FIELDS = ("id", "organization_id", "name", "country", "follow_up_plan_id", "follow_up_paused_until")


def _candidates(book: PlanBook, now: datetime):
    """(debtor, candidates) per due customer, by customer; the candidates by due date.

    Candidates: the customer's due invoices (plans per invoice), its oldest owed invoice (the carrying one) and
    every owed invoice old enough to reach a step today (grouped plans). One statement; each candidate's level is
    the highest step position it reached (one GROUP BY over the dispatches that list a candidate).
    """
    offsets = [step.offset_days for steps in book.steps.values() for step in steps]
    if not offsets:
        return
    today = now.astimezone(book.window.zone).date()
    sql, params = _candidate_sql(book.organization.pk, now, today - timedelta(days=min(offsets)))
    invoice_convert = _converters(Invoice, _INVOICE_FIELDS)
    customer_convert = _converters(Customer, _CUSTOMER_FIELDS)
    width = len(_INVOICE_FIELDS)
    debtor, candidates = None, []
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling this statement (JIT) cost 0.2-0.4 s per organization, more than it saved at this size.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(5000):
            for row in rows:
                if debtor is None or debtor.pk != row[width]:
                    if debtor is not None:
                        yield debtor, candidates
                    values = customer_convert(row[width : width + len(_CUSTOMER_FIELDS)])
                    debtor, candidates = _Debtor(values[0], values[3], values[5], values[4], values), []
                values = invoice_convert(row[:width])
                created_at = values[-1]
                if created_at is None:
                    values = values[:-1]
                is_due, is_owed, level = row[-3:]
                candidates.append(_Candidate(values[0], values[4], values[5], created_at, level or 0, bool(is_due),
                                             bool(is_owed), values))  # fmt: skip
    if debtor is not None:
        yield debtor, candidates


def _candidate_sql(organization_id: int, now: datetime, latest_due: date) -> tuple[str, list]:
    tables = {name: model._meta.db_table for name, model in (("invoice", Invoice), ("customer", Customer),
              ("dispatch", Dispatch), ("item", DispatchInvoice), ("step", FollowUpStep))}  # fmt: skip
    invoice_columns = ", ".join(f"ca.{Invoice._meta.get_field(name).column}" for name in _INVOICE_FIELDS_BUT_CREATED)
    # Only an invoice that can carry a step needs its creation time (parsing it is a third of the fetch).
    created = "CASE WHEN ca.is_due = 1 OR ca.owed_rank = 1 THEN ca.created_at END"
    customer_columns = ", ".join(f"cu.{Customer._meta.get_field(name).column}" for name in _CUSTOMER_FIELDS)
    reached = ", ".join(["%s"] * len(REACHED))
    ranked_columns = ", ".join(f"i.{Invoice._meta.get_field(name).column}" for name in _INVOICE_FIELDS)
    owed = "(NOT i.follow_up_paused AND i.open_amount > 0)"
    held = collection_hold_sql("i")
    sql = f"""
    WITH due_customers AS (
        SELECT DISTINCT customer_id FROM {tables["invoice"]}
        WHERE organization_id = %s AND status = %s AND next_follow_up_at <= %s
    ), ranked AS (
        SELECT {ranked_columns}, CASE WHEN i.next_follow_up_at <= %s THEN 1 ELSE 0 END AS is_due,
               CASE WHEN {owed} THEN 1 ELSE 0 END AS is_owed,
               row_number() OVER (PARTITION BY i.customer_id, {owed} ORDER BY i.due_date, i.id) AS owed_rank
        FROM {tables["invoice"]} AS i JOIN due_customers AS d ON d.customer_id = i.customer_id
        WHERE i.organization_id = %s AND i.status = %s AND ({owed} OR i.next_follow_up_at <= %s) AND NOT {held}
    ), candidates AS (
        SELECT * FROM ranked WHERE is_due = 1 OR (is_owed = 1 AND (owed_rank = 1 OR due_date <= %s))
    ), levels AS (
        SELECT di.invoice_id, MAX(s.position) AS level
        FROM {tables["item"]} AS di JOIN {tables["dispatch"]} AS x ON x.id = di.dispatch_id
        JOIN {tables["step"]} AS s ON s.id = x.step_id
        WHERE x.status IN ({reached}) AND di.invoice_id IN (SELECT id FROM candidates)
        GROUP BY di.invoice_id
    )
    SELECT {invoice_columns}, {created}, {customer_columns}, ca.is_due, ca.is_owed, l.level
    FROM candidates AS ca JOIN {tables["customer"]} AS cu ON cu.id = ca.customer_id
    LEFT JOIN levels AS l ON l.invoice_id = ca.id
    ORDER BY ca.customer_id, ca.due_date, ca.id
    """  # noqa: S608 (table and column names from the models; values are parameters)
    at = connection.ops.adapt_datetimefield_value(now)
    status = InvoiceStatus.OPEN.value
    params = [organization_id, status, at, at, organization_id, status, at,
              connection.ops.adapt_datefield_value(latest_due), *[str(value) for value in REACHED]]  # fmt: skip
    return sql, params


def _converters(model, names: tuple[str, ...]):
    """What the ORM does to these columns' raw values on this database (nothing on PostgreSQL)."""
    steps = []
    for index, name in enumerate(names):
        field = model._meta.get_field(name)
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if functions:
            steps.append((index, column, functions))
    if not steps:
        return lambda values: values

    def convert(values):
        values = list(values)
        for index, column, functions in steps:
            for function in functions:
                values[index] = function(values[index], column, connection)
        return values

    return convert


def record_decisions(decisions: list[Decision], *, organization: Organization) -> list[Dispatch]:
    """Write the outbox rows; a (invoice, step) another tick already decided is skipped (ON CONFLICT DO NOTHING).

    Items are written only for the dispatches this call inserted (RETURNING tells which).
    """
    created: list[Dispatch] = []
    for start in range(0, len(decisions), INSERT_BATCH):
        with transaction.atomic():
            created += _record_batch(decisions[start : start + INSERT_BATCH], organization)
    return created


def _record_batch(decisions: list[Decision], organization: Organization) -> list[Dispatch]:
    dispatches = {
        (decision.invoice.pk, decision.step.pk): Dispatch(
            organization=organization,
            customer=decision.customer,
            invoice=decision.invoice,
            step=decision.step,
            channel=decision.step.channel,
            scheduled_for=decision.scheduled_for,
            next_attempt_at=decision.scheduled_for,
        )  # fmt: skip
        for decision in decisions
    }
    meta = Dispatch._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    returning = [meta.pk, meta.get_field("invoice"), meta.get_field("step")]
    rows = Dispatch.objects._insert(
        list(dispatches.values()), fields=fields, returning_fields=returning, on_conflict=OnConflict.IGNORE
    )
    inserted = []
    # A row that met the unique constraint returns nothing (with a single row Django gives None for it).
    for pk, invoice_id, step_id in (row for row in rows if row):
        dispatch = dispatches[(invoice_id, step_id)]
        dispatch.pk = pk
        dispatch._state.adding = False
        inserted.append(dispatch)
    listed = {(decision.invoice.pk, decision.step.pk): decision.listed for decision in decisions}
    DispatchInvoice.objects.bulk_create([
        DispatchInvoice(organization=organization, dispatch=dispatch, invoice=invoice, open_amount=invoice.open_amount)
        for dispatch in inserted for invoice in listed[(dispatch.invoice_id, dispatch.step_id)]
    ])  # fmt: skip
    return inserted


def due_dispatch_ids(*, now: datetime, limit: int = 1000) -> list[int]:
    """Queued dispatches whose time has come (cross-tenant, oldest first)."""
    queued = Dispatch.objects.filter(status=DispatchStatus.QUEUED, next_attempt_at__lte=now)
    return list(queued.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def claim(*, dispatch_id: int, now: datetime) -> bool:
    claimed = Dispatch.objects.filter(pk=dispatch_id, status=DispatchStatus.QUEUED, next_attempt_at__lte=now).update(
        status=DispatchStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return claimed == 1


def claim_many(*, dispatch_ids: list[int], now: datetime) -> list[int]:
    """Claim every listed dispatch that is queued and due in ONE conditional UPDATE; returns the ids claimed.

    The same compare-and-swap as `claim`, for a batch. The conditions sit on the updated rows themselves, so
    PostgreSQL re-checks them on a row another worker changed meanwhile (READ COMMITTED): a row claimed by
    someone else first is simply not returned.
    """
    ids = sorted({int(dispatch_id) for dispatch_id in dispatch_ids})
    if not ids:
        return []
    quote, column = connection.ops.quote_name, lambda name: Dispatch._meta.get_field(name).column
    status, claimed_at, attempts = (quote(column(name)) for name in ("status", "claimed_at", "attempts"))
    moment = connection.ops.adapt_datetimefield_value(now)
    # Identifiers come from the model, values are parameters.
    sql = (
        f"UPDATE {quote(Dispatch._meta.db_table)} SET {status} = %s, {claimed_at} = %s, {attempts} = {attempts} + 1"  # noqa: S608
        f" WHERE {quote('id')} IN ({', '.join(['%s'] * len(ids))}) AND {status} = %s"
        f" AND {quote(column('next_attempt_at'))} <= %s RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [DispatchStatus.SENDING.value, moment, *ids, DispatchStatus.QUEUED.value, moment])
        return sorted(row[0] for row in cursor.fetchall())


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
