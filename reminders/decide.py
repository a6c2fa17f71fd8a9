"""Deciding: which step every due invoice (or customer group) reaches now, written as outbox rows.

Cross-tenant by design (the scheduler). Per organization, ONE statement reads the due customers' candidate
invoices with the level each reached; Python chooses the steps (sending windows, holidays, pauses are Python:
`reminders.calendar`); the Dispatch rows are inserted in batches with ON CONFLICT DO NOTHING, so a repeated or
concurrent tick creates nothing twice.

A busy day decides 100,000 invoices, so the statement's rows stay plain tuples: a decision keeps ids and open
amounts, and model instances are made only for the rows actually written.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import chain, groupby
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext, override

from customers.models import Customer
from invoices.models import Invoice, InvoiceStatus
from mandates.selectors import collection_hold_sql
from messaging.models import Dispatch, DispatchInvoice, DispatchStatus, TemplatePurpose
from organizations.models import Organization
from organizations.services import log_actions_many
from reminders.calendar import next_send_time
from reminders.engine import (
    REACHED,
    REVIEWED_CHANNELS,
    PlanBook,
    first_reminder,
    late_entry_step,
    owed_sql,
    reschedule,
    step_moment,
)
from reminders.follow_up_messages import FOLLOW_UP
from reminders.models import REFERS_TO_EARLIER_REMINDERS, FollowUpStep, Grouping
from tabular.bulk_insert import insert_rows, insert_rows_skipping_conflicts

INSERT_BATCH = 500
FETCH_BATCH = 5000

# The columns of a candidate row (see `_candidate_sql`). DUE_DATE: the day the plan's offsets count from (the due
# date, or a late arrival's first message minus that step's offset); TOUCHED: listed in a follow-up message before.
ID, CUSTOMER, DUE_DATE, OPEN_AMOUNT, CREATED, IS_DUE, IS_OWED, LEVEL, COUNTRY, PLAN, PAUSED_UNTIL, TOUCHED = range(12)


@dataclass(slots=True)
class Decision:
    """One message to write: the carrying invoice, the step, and the invoices it lists with their open amounts."""

    customer_id: int
    invoice_id: int  # the carrying invoice
    step: FollowUpStep
    listed: list[tuple[int, Decimal]]  # (invoice id, open amount), the carrying invoice first
    scheduled_for: datetime
    purpose: str = ""  # the message to send instead of the step's own (a first message never speaks of earlier ones)
    schedule_from: date | None = None  # a late arrival: the day the next steps count from
    awaiting_approval: bool = False  # the plan reviews its messages before sending


def decide_due_cross_tenant(*, now: datetime, dry_run: bool = False, organization_ids: list[int] | None = None):
    """Decide every due invoice of every organization with sending on.

    Returns the decisions (dry run) or the dispatches created.
    """
    due = Invoice.objects.filter(organization=OuterRef("pk"), status=InvoiceStatus.OPEN, next_follow_up_at__lte=now)
    # One index probe per organization (invoice_follow_up_due is on organization, next_follow_up_at).
    organizations = Organization.objects.filter(Exists(due))
    if organization_ids is not None:
        organizations = organizations.filter(pk__in=organization_ids)
    with _without_cycle_collection():
        return _decide_organizations(list(organizations.order_by("pk")), now=now, dry_run=dry_run)


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
        listed = {invoice_id for decision in decisions for invoice_id, _ in decision.listed}
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


@dataclass(slots=True)
class _Plan:
    grouped: bool
    steps: list[tuple[int, int, Decimal | None, FollowUpStep]]  # (position, offset days, minimum, step)
    first: int | None = None  # position of the first reminder after the due date: a late arrival passed it
    entry: int | None = None  # position of the step a late arrival starts at
    review: bool = False


class _Chooser:
    """Chooses steps for one organization at `now`, remembering send times per (day, offset, country, pause)."""

    def __init__(self, book: PlanBook, now: datetime):
        self.book, self.now, self.now_ts = book, now, now.timestamp()
        self.today = now.astimezone(book.window.zone).date()
        self.moments: dict = {}

    def choose(self, plan: _Plan, carrying: tuple, candidates: list[tuple]) -> Decision | None:
        """The most advanced step that is due for the carrying invoice; earlier, passed steps are not sent.

        A late arrival (no follow-up message yet, past the plan's first reminder and more: imported or created
        long overdue) starts at the plan's entry step instead, at once, and its next steps keep the plan's spacing
        from that first message (`schedule_from`). Its scheduled time is never before the invoice existed, so
        lateness (missed) only counts time the system could have sent and did not.
        """
        chosen = None
        level, amount, moments = carrying[LEVEL], carrying[OPEN_AMOUNT], self.moments
        for position, offset, minimum, step in plan.steps:
            if position <= level or (minimum is not None and amount < minimum):
                continue
            key = (carrying[DUE_DATE], offset, carrying[COUNTRY], carrying[PAUSED_UNTIL])
            moment = moments.get(key)
            if moment is None:
                moment = moments[key] = step_moment(self.book, *key)
            if moment > self.now:
                break
            chosen = (position, offset, minimum, step, moment)
        if chosen is None:
            return None
        schedule_from = None
        if plan.first is not None and chosen[0] > plan.first and not any(row[TOUCHED] for row in candidates):
            entry = next(
                (item for item in plan.steps if item[0] >= plan.entry and (item[2] is None or amount >= item[2])), None
            )
            if entry is not None:
                chosen = (*entry, chosen[4])
                schedule_from = self.today - timedelta(days=entry[1])
        position, offset, minimum, step, moment = chosen
        known_since = min(carrying[CREATED], self.now_ts)
        if moment.timestamp() < known_since:
            moment = self._moment_after(known_since, carrying[COUNTRY] or None)
        reached_day = self.today - timedelta(days=offset)
        listed = [(carrying[ID], amount)]
        listed += [
            (row[ID], row[OPEN_AMOUNT]) for row in candidates
            if row is not carrying and row[DUE_DATE] <= reached_day and row[LEVEL] < position
            and (minimum is None or row[OPEN_AMOUNT] >= minimum)
        ]  # fmt: skip
        decision = Decision(
            carrying[CUSTOMER], carrying[ID], step, listed, min(moment, self.now), schedule_from=schedule_from
        )
        if step.channel in REVIEWED_CHANNELS:
            decision.awaiting_approval = plan.review
            # No reminder reached any of these invoices: a text about earlier reminders would not be true.
            if step.message_purpose in REFERS_TO_EARLIER_REMINDERS and not any(row[LEVEL] for row in candidates):
                decision.purpose = TemplatePurpose.REMINDER_1
        return decision

    def _moment_after(self, timestamp: float, country: str | None) -> datetime:
        key = (timestamp, country)
        moment = self.moments.get(key)
        if moment is None:
            at = datetime.fromtimestamp(timestamp, tz=UTC)
            moment = self.moments[key] = next_send_time(at=at, window=self.book.window, country=country)
        return moment


def _plans(book: PlanBook) -> dict[int | None, _Plan]:
    """Every plan by id, and the default plan under None (a customer without a plan of its own)."""
    plans = {}
    for plan in book.plans.values():
        steps = book.steps.get(plan.pk, [])
        first, entry = first_reminder(steps), late_entry_step(plan, steps)
        plans[plan.pk] = _Plan(
            plan.grouping != Grouping.PER_INVOICE,
            [(s.position, s.offset_days, s.min_open_amount, s) for s in steps],
            first.position if first else None,
            entry.position if entry else None,
            plan.review_before_sending,
        )
    default = book.default_plan
    if default is not None:
        plans[None] = plans[default.pk]
    return plans


def _decide_organization(book: PlanBook, now: datetime) -> tuple[list[Decision], list[int]]:
    """The decisions of one organization at `now`, and the ids of its due invoices."""
    decisions: list[Decision] = []
    due_invoice_ids: list[int] = []
    plans, chooser = _plans(book), _Chooser(book, now)
    for _customer_id, group in groupby(_candidates(book, now), key=itemgetter(CUSTOMER)):
        rows = list(group)
        due_invoice_ids += [row[ID] for row in rows if row[IS_DUE]]
        plan = plans.get(rows[0][PLAN])
        if plan is None or not plan.steps:
            continue
        owed = [row for row in rows if row[IS_OWED]]
        if not owed:
            continue
        if plan.grouped:  # the oldest owed invoice drives the level; the message lists every invoice at the step
            decision = chooser.choose(plan, owed[0], owed)
            if decision is not None:
                decisions.append(decision)
        else:
            for row in owed:
                if row[IS_DUE] and (decision := chooser.choose(plan, row, [row])) is not None:
                    decisions.append(decision)
    return decisions, due_invoice_ids


def _candidates(book: PlanBook, now: datetime):
    """The candidate rows of the organization's due customers, by customer, then due date.

    Candidates: the customer's due invoices, and its owed invoices old enough to reach a step today (the oldest
    of those is the carrying one of a grouped plan; when none is old enough, no step is due for the customer).
    """
    offsets = [step.offset_days for steps in book.steps.values() for step in steps]
    if not offsets:
        return
    today = now.astimezone(book.window.zone).date()
    sql, params = _candidate_sql(book.organization.pk, now, today - timedelta(days=min(offsets)))
    convert = _converters()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling this statement (JIT) cost 0.2-0.4 s per organization, more than it saved at this size;
            # the sorts of a busy day need more than the default 4 MB to stay in memory.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        rows = chain.from_iterable(iter(lambda: cursor.fetchmany(FETCH_BATCH), []))
        yield from (map(convert, rows) if convert else rows)


def _candidate_sql(organization_id: int, now: datetime, latest_due: date) -> tuple[str, list]:
    tables = {name: model._meta.db_table for name, model in (("invoice", Invoice), ("customer", Customer),
              ("dispatch", Dispatch), ("item", DispatchInvoice), ("step", FollowUpStep))}  # fmt: skip
    reached = ", ".join(["%s"] * len(REACHED))
    owed = owed_sql("i")
    if connection.vendor == "postgresql":
        created = "EXTRACT(EPOCH FROM ca.created_at)::float8"  # a float loads ten times faster than a timestamp
    else:
        created = "(julianday(ca.created_at) - 2440587.5) * 86400.0"
    sql = f"""
    WITH due_customers AS (
        SELECT DISTINCT customer_id FROM {tables["invoice"]}
        WHERE organization_id = %s AND status = %s AND next_follow_up_at <= %s
    ), candidates AS (
        SELECT i.id, i.customer_id, i.due_date, i.open_amount, i.created_at,
               CASE WHEN i.next_follow_up_at <= %s THEN 1 ELSE 0 END AS is_due,
               CASE WHEN {owed} THEN 1 ELSE 0 END AS is_owed
        FROM {tables["invoice"]} AS i JOIN due_customers AS d ON d.customer_id = i.customer_id
        WHERE i.organization_id = %s AND i.status = %s AND NOT {collection_hold_sql("i")}
          AND (({owed} AND i.due_date <= %s) OR i.next_follow_up_at <= %s)
    ), levels AS (
        SELECT di.invoice_id, MAX(CASE WHEN x.status IN ({reached}) THEN s.position ELSE 0 END) AS level,
               MAX(x.schedule_from) AS schedule_from
        FROM {tables["item"]} AS di JOIN {tables["dispatch"]} AS x ON x.id = di.dispatch_id
        JOIN {tables["step"]} AS s ON s.id = x.step_id
        WHERE di.invoice_id IN (SELECT id FROM candidates)
        GROUP BY di.invoice_id
    )
    SELECT ca.id, ca.customer_id, COALESCE(l.schedule_from, ca.due_date), ca.open_amount, {created}, ca.is_due,
           ca.is_owed, COALESCE(l.level, 0), cu.country, cu.follow_up_plan_id, cu.follow_up_paused_until,
           CASE WHEN l.invoice_id IS NULL THEN 0 ELSE 1 END
    FROM candidates AS ca JOIN {tables["customer"]} AS cu ON cu.id = ca.customer_id
    LEFT JOIN levels AS l ON l.invoice_id = ca.id
    ORDER BY ca.customer_id, ca.due_date, ca.id
    """  # noqa: S608 (table and column names from the models; values are parameters)
    at = connection.ops.adapt_datetimefield_value(now)
    status = InvoiceStatus.OPEN.value
    params = [organization_id, status, at, at, organization_id, status,
              connection.ops.adapt_datefield_value(latest_due), at, *[str(value) for value in REACHED]]  # fmt: skip
    return sql, params


def _converters():
    """What the ORM does to the date and amount columns' raw values on this database (None on PostgreSQL)."""
    steps = []
    for index, model, name in ((DUE_DATE, Invoice, "due_date"), (OPEN_AMOUNT, Invoice, "open_amount"),
                               (PAUSED_UNTIL, Customer, "follow_up_paused_until")):  # fmt: skip
        field = model._meta.get_field(name)
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if functions:
            steps.append((index, column, functions))
    if not steps:
        return None

    def convert(row):
        row = list(row)
        for index, column, functions in steps:
            for function in functions:
                row[index] = function(row[index], column, connection)
        return row

    return convert


def record_decisions(decisions: list[Decision], *, organization: Organization) -> list[Dispatch]:
    """Write the outbox rows; a (invoice, step) another tick already decided is skipped (ON CONFLICT DO NOTHING).

    Items are written only for the dispatches this call inserted (RETURNING tells which).
    """
    created: list[Dispatch] = []
    overtaken: set[int] = set()
    # One probe of the partial index `dispatch_awaiting_approval`: most organizations have nothing awaiting.
    awaiting = Dispatch.objects.filter(organization=organization, status=DispatchStatus.AWAITING_APPROVAL).exists()
    for start in range(0, len(decisions), INSERT_BATCH):
        with transaction.atomic():
            batch = _record_batch(decisions[start : start + INSERT_BATCH], organization)
            if awaiting:
                overtaken |= _overtake_awaiting(batch, organization)
            created += batch
    if overtaken:  # an invoice listed only in an overtaken message no longer reached its step
        reschedule(invoice_ids=sorted(overtaken))
    return created


def _overtake_awaiting(inserted: list[Dispatch], organization: Organization) -> set[int]:
    """Skip the messages still awaiting approval about invoices a new, later message lists ("overtaken by <step>").

    A message awaiting approval counts as reached (`REACHED`), so the schedule moves on while it waits and the next
    step is decided in time. Without this, the reviewer would then see reminder 1 and reminder 2 side by side, and
    approving both would send two levels at once. Holding the schedule instead would leave every waiting invoice
    due on every tick (or need a per-invoice check) and send reminder 1's text weeks late; skipping the older
    message keeps deciding set-based: per batch, one UPDATE per step decided (a handful), in the transaction that
    writes the newer message, so the two never await (or go out) together. Only a message to the debtor overtakes:
    a task for a person leaves the awaiting message for review. Returns the overtaken messages' invoice ids.
    """
    by_step: dict[FollowUpStep, list[int]] = {}
    for dispatch in inserted:
        if dispatch.channel in REVIEWED_CHANNELS:
            by_step.setdefault(dispatch.step, []).append(dispatch.pk)
    entries, invoice_ids = [], set()
    for step, new_ids in by_step.items():
        with override(organization.default_language):
            reason = gettext("Overtaken by %(step)s; not sent.") % {"step": step}
        listed = DispatchInvoice.objects.filter(dispatch_id__in=new_ids).values("invoice_id")
        older = Dispatch.objects.filter(
            organization=organization, status=DispatchStatus.AWAITING_APPROVAL, items__invoice_id__in=listed
        ).exclude(pk__in=new_ids)
        older_ids = list(older.values_list("pk", flat=True).distinct())
        if not older_ids:
            continue
        # Compare-and-swap on the awaiting state: one a reviewer approved or skipped meanwhile stays as decided.
        Dispatch.objects.filter(pk__in=older_ids, status=DispatchStatus.AWAITING_APPROVAL).update(
            status=DispatchStatus.SKIPPED, reason=reason
        )
        items = DispatchInvoice.objects.filter(
            dispatch_id__in=older_ids, dispatch__status=DispatchStatus.SKIPPED, dispatch__reason=reason
        ).select_related("invoice", "dispatch__step")
        for item in items:
            invoice_ids.add(item.invoice_id)
            entries.append(
                {
                    "organization": organization,
                    "subject": item.invoice,
                    "code": "invoice.reminder_overtaken",
                    "data": {"dispatch": item.dispatch_id, "step": str(item.dispatch.step or ""), "by": str(step)},
                }
            )
    log_actions_many(entries)
    return invoice_ids


def _record_batch(decisions: list[Decision], organization: Organization) -> list[Dispatch]:
    rows = {
        (decision.invoice_id, decision.step.pk): {
            "organization_id": organization.pk,
            "kind": FOLLOW_UP,
            "customer_id": decision.customer_id,
            "invoice_id": decision.invoice_id,
            "step_id": decision.step.pk,
            "channel": decision.step.channel,
            "purpose": decision.purpose,
            "schedule_from": decision.schedule_from,
            "status": DispatchStatus.AWAITING_APPROVAL if decision.awaiting_approval else DispatchStatus.QUEUED,
            "scheduled_for": decision.scheduled_for,
            "next_attempt_at": decision.scheduled_for,
        }
        for decision in decisions
    }
    # A (invoice, step) another tick decided first is skipped by the unique constraint: only what this call wrote
    # comes back, and only those get items.
    inserted = insert_rows_skipping_conflicts(Dispatch, list(rows.values()), returning=("invoice", "step"))
    steps = {decision.step.pk: decision.step for decision in decisions}
    listed = {(decision.invoice_id, decision.step.pk): decision.listed for decision in decisions}
    dispatches, items = [], []
    for pk, invoice_id, step_id in inserted:
        dispatch = Dispatch(pk=pk, **rows[(invoice_id, step_id)])
        dispatch.step, dispatch.organization = steps[step_id], organization
        dispatch._state.adding = False
        dispatches.append(dispatch)
        items += [
            {"organization_id": organization.pk, "dispatch_id": pk, "invoice_id": listed_id, "open_amount": amount}
            for listed_id, amount in listed[(invoice_id, step_id)]
        ]
    insert_rows(DispatchInvoice, items)
    dispatches.sort(key=lambda dispatch: dispatch.pk)
    return dispatches


def describe(decisions: list[Decision]) -> list[str]:
    """One line per decision (customer · step · invoice numbers), for the dry run of `run_followups`."""
    customers = Customer.objects.in_bulk({decision.customer_id for decision in decisions})
    numbers = dict(
        Invoice.objects.filter(pk__in={invoice_id for decision in decisions for invoice_id, _ in decision.listed})
        .values_list("pk", "number")
    )  # fmt: skip
    return [
        f"{customers[decision.customer_id]} · {decision.step} · "
        + ", ".join(numbers[invoice_id] for invoice_id, _ in decision.listed)
        for decision in decisions
    ]
