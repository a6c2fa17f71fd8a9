"""The figures of the reports, the portfolio and the dashboard: aggregated in the database, set-based.

Every read is rooted in `Scope` (organization, period, account manager, currency); none loads invoices one by
one. History ("outstanding at the end of a month") is rolled back from today: an invoice issued by then counts
with what it owes today plus what was paid on it after that month. See README, "Reports".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate, TruncMonth

from customers.filters import InArray
from customers.models import Customer, CustomerBalance
from invoices.models import Invoice, InvoiceStatus, Payment
from invoices.selectors import AGING_BUCKETS, DSO_WINDOW_DAYS
from messaging.models import DispatchInvoice, DispatchStatus
from organizations.selectors import members_list
from reminders.models import Task, TaskStatus
from reports.scope import RECEIVABLE_STATUSES, Scope, add_months

ZERO = Decimal("0")
CENT = Decimal("0.01")


def cents(value) -> Decimal:
    """A sum as money: two decimals (SQLite returns sums of decimals with many)."""
    return Decimal(value or 0).quantize(CENT)


OWED = Invoice.OWED_STATUSES


class DaysBetween(Func):
    """Whole days from `start` to `end` (two dates), as an integer, on PostgreSQL and SQLite alike."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        end, start = (compiler.compile(expression) for expression in self.source_expressions)
        return f"({end[0]} - {start[0]})", (*end[1], *start[1])

    def as_sqlite(self, compiler, connection, **extra):
        end, start = (compiler.compile(expression) for expression in self.source_expressions)
        return f"CAST(julianday({end[0]}) - julianday({start[0]}) AS INTEGER)", (*end[1], *start[1])


def _day_start(scope: Scope, day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=scope.organization.zone)


def manager_names(scope: Scope) -> dict[int, str]:
    return {member.pk: str(member.user) for member in members_list(organization=scope.organization)}


# --- aging ---------------------------------------------------------------------------------------------------


def bucket_condition(today: date, start: int | None, end: int | None) -> Q:
    """Open invoices `start`..`end` days overdue (None: open-ended), as the invoice list's overdue filters read it."""
    condition = Q()
    if start is not None:
        condition &= Q(due_date__lte=today - timedelta(days=start))
    if end is not None:
        condition &= Q(due_date__gte=today - timedelta(days=end))
    return condition


def _aging_sums(today: date) -> dict:
    sums = {"total": Sum("open_amount"), "count": Count("id")}
    for key, _label, start, end in AGING_BUCKETS:
        condition = bucket_condition(today, start, end)
        sums[f"amount_{key}"] = Sum("open_amount", filter=condition)
        sums[f"count_{key}"] = Count("id", filter=condition)
    return sums


def aging_by_manager(scope: Scope) -> list[dict]:
    """Per account manager and currency: what is owed today in each aging bucket (amount and invoices)."""
    owed = scope.invoices().filter(status__in=OWED)
    grouped = owed.values("customer__account_manager_id", "currency").annotate(**_aging_sums(scope.today))
    names = manager_names(scope)
    rows = []
    for entry in grouped:
        manager_id = entry["customer__account_manager_id"]
        rows.append(
            {
                "manager_id": manager_id,
                "manager": names.get(manager_id, "") if manager_id else "",
                "currency": entry["currency"],
                "total": cents(entry["total"]),
                "count": entry["count"],
                "buckets": [
                    {
                        "key": key,
                        "label": label,
                        "amount": cents(entry[f"amount_{key}"]),
                        "count": entry[f"count_{key}"],
                        "query": {"overdue_min": start, "overdue_max": end},
                    }
                    for key, label, start, end in AGING_BUCKETS
                ],
            }
        )
    return sorted(rows, key=lambda row: (row["manager_id"] is None, row["manager"].lower(), row["currency"]))


# --- actions -------------------------------------------------------------------------------------------------


def actions_by_manager(scope: Scope) -> list[dict]:
    """Per assignee: tasks opened in the period, done in the period, still to do, and overdue today."""
    tasks = Task.objects.filter(organization=scope.organization).order_by()
    if scope.unassigned:
        tasks = tasks.filter(assigned_to__isnull=True)
    elif scope.manager_id is not None:
        tasks = tasks.filter(assigned_to_id=scope.manager_id)
    since, until = _day_start(scope, scope.start), _day_start(scope, scope.end + timedelta(days=1))
    grouped = tasks.values("assigned_to_id").annotate(
        opened=Count("id", filter=Q(created_at__gte=since, created_at__lt=until)),
        done=Count("id", filter=Q(status=TaskStatus.DONE, done_at__gte=since, done_at__lt=until)),
        to_do=Count("id", filter=Q(status=TaskStatus.TODO)),
        overdue=Count("id", filter=Q(status=TaskStatus.TODO, due_on__lt=scope.today)),
    )
    names = manager_names(scope)
    rows = [
        {
            "manager_id": entry["assigned_to_id"],
            "manager": names.get(entry["assigned_to_id"], ""),
            **{key: entry[key] for key in ("opened", "done", "to_do", "overdue")},
        }
        for entry in grouped
        if entry["opened"] or entry["done"] or entry["to_do"]
    ]
    return sorted(rows, key=lambda row: (row["manager_id"] is None, row["manager"].lower()))


# --- collection performance per month ------------------------------------------------------------------------


def monthly_performance(scope: Scope) -> list[dict]:
    """Per currency and month of the period: invoiced, collected, outstanding and overdue at the month's end, DSO
    and the collection effectiveness index (CEI).

    "At the end of month M" is the start of the next month: invoices issued before it, with what they owe today
    plus what was paid on them from then on. Overdue: due before it.
    """
    months = scope.months()
    first, after = months[0], add_months(months[-1], 1)
    floor = add_months(first, -1)  # everything older collapses into the month before the period
    receivable = scope.invoices().filter(status__in=RECEIVABLE_STATUSES)
    # What invoices owe today, by (clamped) month of issue and of due date.
    owed_today = defaultdict(Decimal)
    for row in (
        receivable.filter(status__in=OWED, open_amount__gt=0)
        .values("currency")
        .annotate(issued=_clamped_month("issue_date", floor), due=_clamped_month("due_date", floor))
        .annotate(amount=Sum("open_amount"))
    ):
        owed_today[(row["currency"], row["issued"], row["due"])] += cents(row["amount"])
    # Payments from the period's first month on, by month paid, of issue and of due date.
    paid_since = defaultdict(Decimal)
    for row in (
        scope.payments()
        .filter(paid_on__gte=first)
        .values(currency=F("invoice__currency"))
        .annotate(
            paid=TruncMonth("paid_on", output_field=DateField()),
            issued=_clamped_month("invoice__issue_date", floor),
            due=_clamped_month("invoice__due_date", floor),
        )
        .annotate(amount=Sum("amount"))
    ):
        paid_since[(row["currency"], row["paid"], row["issued"], row["due"])] += cents(row["amount"])
    invoiced_days = _invoiced_per_day(receivable, first - timedelta(days=DSO_WINDOW_DAYS), after)
    currencies = sorted({key[0] for key in [*owed_today, *paid_since, *invoiced_days]})

    def balance(currency: str, moment: date) -> tuple[Decimal, Decimal]:
        """Outstanding and overdue at the start of `moment` (the first day of a month)."""
        outstanding = overdue = ZERO
        for (entry_currency, issued, due), amount in owed_today.items():
            if entry_currency == currency and _month_date(issued) < moment:
                outstanding += amount
                overdue += amount if _month_date(due) < moment else ZERO
        for (entry_currency, paid, issued, due), amount in paid_since.items():
            if entry_currency == currency and _month_date(paid) >= moment and _month_date(issued) < moment:
                outstanding += amount
                overdue += amount if _month_date(due) < moment else ZERO
        return outstanding, overdue

    rows = []
    for currency in currencies:
        opening, _opening_overdue = balance(currency, first)
        for month in months:
            following = add_months(month, 1)
            outstanding, overdue = balance(currency, following)
            invoiced = sum((a for (c, d), a in invoiced_days.items() if c == currency and month <= d < following), ZERO)
            collected = sum(
                (a for (c, paid, _i, _d), a in paid_since.items() if c == currency and _month_date(paid) == month), ZERO
            )
            window = sum(
                (
                    a
                    for (c, d), a in invoiced_days.items()
                    if c == currency and following - timedelta(days=DSO_WINDOW_DAYS) <= d < following
                ),
                ZERO,
            )
            rows.append(
                {
                    "currency": currency,
                    "month": month,
                    "invoiced": invoiced,
                    "collected": collected,
                    "outstanding": outstanding,
                    "overdue": overdue,
                    "dso": round(outstanding / window * DSO_WINDOW_DAYS) if window else None,
                    "cei": _cei(opening, invoiced, outstanding, overdue),
                }
            )
            opening = outstanding
    return rows


def _cei(opening: Decimal, invoiced: Decimal, closing: Decimal, closing_overdue: Decimal) -> Decimal | None:
    """Collection effectiveness index: collected of what could be collected, in percent (one decimal)."""
    collectable = opening + invoiced - (closing - closing_overdue)
    if collectable <= 0:
        return None
    return ((opening + invoiced - closing) / collectable * 100).quantize(Decimal("0.1"))


def _clamped_month(field: str, floor: date):
    return Greatest(TruncMonth(field, output_field=DateField()), Value(floor, output_field=DateField()))


def _month_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _invoiced_per_day(receivable, since: date, before: date) -> dict[tuple[str, date], Decimal]:
    rows = (
        receivable.filter(issue_date__gte=since, issue_date__lt=before)
        .values("currency", "issue_date")
        .annotate(amount=Sum("amount"))
    )
    return {(row["currency"], row["issue_date"]): cents(row["amount"]) for row in rows}


# --- days to pay ---------------------------------------------------------------------------------------------


def days_to_pay(scope: Scope, *, limit: int = 100) -> list[dict]:
    """Per customer: invoices paid in full whose last payment falls in the period, their average days from issue to
    payment, and the same average over the period just before (the trend). The customers who paid most first.

    One statement: the payments since the previous period give each paid invoice its last payment day (an invoice
    whose last payment is older has none there), then the invoices are grouped per customer.
    """
    per_invoice = (
        scope.payments()
        .filter(invoice__status=InvoiceStatus.PAID, paid_on__gte=scope.previous_start)
        .values("invoice_id")
        .annotate(
            customer=F("invoice__customer_id"),
            issued=F("invoice__issue_date"),
            total=F("invoice__amount"),
            last=Max("paid_on"),
        )
        .filter(last__lte=scope.end)
    )
    inner, params = per_invoice.query.sql_with_params()
    days = (
        "(t.last - t.issued)"
        if connection.vendor == "postgresql"
        else "CAST(julianday(t.last) - julianday(t.issued) AS INTEGER)"
    )
    sql = f"""
        SELECT t.customer, COUNT(*) FILTER (WHERE t.last >= %s), SUM(t.total) FILTER (WHERE t.last >= %s),
               SUM({days}) FILTER (WHERE t.last >= %s), COUNT(*) FILTER (WHERE t.last < %s),
               SUM({days}) FILTER (WHERE t.last < %s)
        FROM ({inner}) AS t GROUP BY t.customer HAVING COUNT(*) FILTER (WHERE t.last >= %s) > 0
        ORDER BY 3 DESC, 1 LIMIT %s
    """  # noqa: S608 - only our own SQL is joined in (the ORM's query and a fixed expression); values are parameters
    start = scope.start.isoformat() if connection.vendor == "sqlite" else scope.start
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(start, params, limit))
        grouped = cursor.fetchall()
    names = dict(
        Customer.objects.filter(organization=scope.organization, pk__in=[row[0] for row in grouped])
        .order_by()
        .values_list("pk", "name")
    )
    rows = []
    for customer_id, invoices, _amount, total_days, previous_invoices, previous_days in grouped:
        average = _average(total_days, invoices)
        before = _average(previous_days, previous_invoices)
        rows.append(
            {
                "customer_id": customer_id,
                "customer": names.get(customer_id, ""),
                "invoices": invoices,
                "average_days": average,
                "previous_average_days": before,
                "trend_days": None if before is None else (average - before).quantize(Decimal("0.1")),
            }
        )
    return rows


def _params(start: date, inner: tuple, limit: int) -> list:
    """The statement's parameters in order: four for the columns, the inner query's, one for HAVING, the limit."""
    return [start, start, start, start, start, *inner, start, limit]


def _average(total, count) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total or 0) / count).quantize(Decimal("0.1"))


# --- top debtors and top overdue customers -------------------------------------------------------------------


def _ranked_balances(scope: Scope, ordered, limit: int, overdue_only: bool, page: int = 100) -> list[dict]:
    """The first `limit` balances, largest first; with `overdue_only`, of customers with an overdue invoice (read a
    page of balances at a time with their customers, so no statement touches every customer; at most 20 pages)."""
    ranked: list[dict] = []
    for start in range(0, page * 20, page):
        rows = list(ordered.values("customer_id", "currency", "open_amount")[start : start + page])
        customers = {
            pk: (name, oldest)
            for pk, name, oldest in Customer.objects.filter(
                organization=scope.organization, pk__in={row["customer_id"] for row in rows}
            )
            .order_by()
            .values_list("pk", "name", "oldest_open_due_date")
        }
        for row in rows:
            name, oldest = customers.get(row["customer_id"], ("", None))
            if overdue_only and not (oldest and oldest < scope.today):
                continue
            ranked.append({**row, "customer__name": name})
            if len(ranked) == limit:
                return ranked
        if len(rows) < page:
            break
    return ranked[:limit]


def top_debtors(scope: Scope, *, limit: int = 20, overdue_only: bool = False) -> list[dict]:
    """The customers who owe most (per currency, largest first), with their overdue part and oldest due date.

    The ranking reads the customers' balances per currency (indexed); only the listed customers' invoices are
    summed for the overdue part.
    """
    balances = CustomerBalance.objects.filter(organization=scope.organization, open_amount__gt=0)
    if scope.currency:
        balances = balances.filter(currency=scope.currency)
    if scope.manager_id is not None or scope.unassigned:
        customers = Customer.objects.filter(organization=scope.organization).filter(scope.customer_condition())
        # The customers as an id list the balances are matched against: no join of every balance with its customer.
        # `= ANY(ARRAY(…))` on PostgreSQL: the id list is computed once, whatever the balances' statistics say.
        balances = balances.filter(InArray(F("customer_id"), customers.order_by().values("pk")))
    ranked = _ranked_balances(scope, balances.order_by("-open_amount", "customer_id"), limit, overdue_only)
    if not ranked:
        return []
    figures_by_key = {
        (row["customer_id"], row["currency"]): row
        for row in Invoice.objects.filter(
            organization=scope.organization, customer_id__in={row["customer_id"] for row in ranked}, status__in=OWED
        )
        .order_by()
        .values("customer_id", "currency")
        .annotate(
            overdue=Coalesce(Sum("open_amount", filter=Q(due_date__lt=scope.today)), ZERO),
            overdue_count=Count("id", filter=Q(due_date__lt=scope.today)),
            oldest=Min("due_date"),
        )
    }
    rows = []
    for entry in ranked:
        key = (entry["customer_id"], entry["currency"])
        figures = figures_by_key.get(key, {})
        rows.append(
            {
                "customer_id": entry["customer_id"],
                "customer": entry["customer__name"],
                "currency": entry["currency"],
                "outstanding": cents(entry["open_amount"]),
                "overdue": cents(figures.get("overdue")),
                "overdue_invoices": figures.get("overdue_count", 0),
                "oldest_due_date": figures.get("oldest"),
            }
        )
    return rows


# --- follow-up effectiveness ---------------------------------------------------------------------------------


def follow_up_effectiveness(scope: Scope, *, days: int = 14) -> list[dict]:
    """Per follow-up step: invoices its messages listed (sent in the period), and how many of them were paid in
    full within `days` days after the message (their last payment on or after the day sent, at most `days` later).
    """
    items = DispatchInvoice.objects.filter(
        organization=scope.organization,
        dispatch__status=DispatchStatus.SENT,
        dispatch__step__isnull=False,
        dispatch__sent_at__gte=_day_start(scope, scope.start),
        dispatch__sent_at__lt=_day_start(scope, scope.end + timedelta(days=1)),
    ).filter(scope.customer_condition("invoice__customer__"))
    if scope.currency:
        items = items.filter(invoice__currency=scope.currency)
    last_paid = Subquery(
        Payment.objects.filter(invoice_id=OuterRef("invoice_id"))
        .order_by()
        .values("invoice_id")
        .annotate(last=Max("paid_on"))
        .values("last")[:1],
        output_field=DateField(),
    )
    annotated = items.order_by().annotate(
        sent_on=TruncDate("dispatch__sent_at", tzinfo=scope.organization.zone), paid_on=last_paid
    )
    annotated = annotated.annotate(waited=DaysBetween(F("paid_on"), F("sent_on")))
    paid_in_time = Q(invoice__status=InvoiceStatus.PAID, waited__gte=0, waited__lte=days)
    grouped = annotated.values(
        "dispatch__step_id", "dispatch__step__name", "dispatch__step__position", "dispatch__step__plan__name"
    ).annotate(invoices=Count("id"), paid=Count("id", filter=paid_in_time), amount=Sum("open_amount"))
    rows = []
    for entry in grouped:
        rows.append(
            {
                "step_id": entry["dispatch__step_id"],
                "plan": entry["dispatch__step__plan__name"],
                "position": entry["dispatch__step__position"],
                "step": entry["dispatch__step__name"],
                "invoices": entry["invoices"],
                "paid_within": entry["paid"],
                "amount": cents(entry["amount"]),
                "share": (Decimal(entry["paid"]) / entry["invoices"] * 100).quantize(Decimal("0.1")),
            }
        )
    return sorted(rows, key=lambda row: (row["plan"], row["position"]))


# --- portfolio and dashboard ---------------------------------------------------------------------------------


def receivables_for_scope(scope: Scope) -> list[dict]:
    """Per currency, as the dashboard shows it (outstanding, overdue, aging, DSO), for the scope's customers."""
    owed = scope.invoices().filter(status__in=OWED)
    sums = _aging_sums(scope.today) | {
        "overdue": Sum("open_amount", filter=Q(due_date__lt=scope.today)),
        "overdue_invoices": Count("id", filter=Q(due_date__lt=scope.today)),
    }
    window = scope.today - timedelta(days=DSO_WINDOW_DAYS)
    invoiced = dict(
        scope.invoices()
        .filter(issue_date__gt=window, issue_date__lte=scope.today)
        .values("currency")
        .annotate(amount=Sum("amount"))
        .values_list("currency", "amount")
    )
    rows = []
    for entry in owed.values("currency").annotate(**sums).order_by("currency"):
        total = cents(entry["total"])
        if not entry["count"]:
            continue
        buckets = []
        for key, label, start, end in AGING_BUCKETS:
            amount = cents(entry[f"amount_{key}"])
            query = {k: v for k, v in {"overdue_min": start, "overdue_max": end}.items() if v is not None}
            buckets.append(
                {
                    "key": key,
                    "label": label,
                    "amount": amount,
                    "count": entry[f"count_{key}"],
                    "percent": float(amount / total * 100) if total else 0.0,
                    "query": query,
                }
            )
        recent = invoiced.get(entry["currency"]) or ZERO
        rows.append(
            {
                "currency": entry["currency"],
                "outstanding": total,
                "open_invoices": entry["count"],
                "overdue": cents(entry["overdue"]),
                "overdue_invoices": entry["overdue_invoices"],
                "buckets": buckets,
                "dso": round(total / recent * DSO_WINDOW_DAYS) if recent else None,
            }
        )
    return rows


def tasks_due(scope: Scope, *, limit: int = 20) -> dict:
    """Open tasks due today and overdue (assigned to the scope's account manager), the first `limit` of each."""
    tasks = Task.objects.filter(organization=scope.organization, status=TaskStatus.TODO)
    if scope.unassigned:
        tasks = tasks.filter(assigned_to__isnull=True)
    elif scope.manager_id is not None:
        tasks = tasks.filter(assigned_to_id=scope.manager_id)
    counts = tasks.aggregate(
        today=Count("id", filter=Q(due_on=scope.today)), overdue=Count("id", filter=Q(due_on__lt=scope.today))
    )
    listed = (
        tasks.filter(due_on__lte=scope.today)
        .select_related("customer", "invoice", "assigned_to__user")
        .order_by("due_on", "id")[:limit]
    )
    return {"today": counts["today"], "overdue": counts["overdue"], "tasks": list(listed)}


def follow_up_next_days(scope: Scope, *, now: datetime, days: int = 7, limit: int = 20) -> dict:
    """Open invoices of the scope's customers whose next follow-up falls in the coming `days` days.

    The same window as the Upcoming page (reminders.engine.upcoming), narrowed to the scope's customers.
    """
    invoices = scope.invoices().filter(
        status=InvoiceStatus.OPEN,
        next_follow_up_at__gte=now - timedelta(days=1),
        next_follow_up_at__lte=now + timedelta(days=days),
    )
    total = invoices.count()
    listed = list(invoices.select_related("customer").order_by("next_follow_up_at", "id")[:limit])
    return {"count": total, "invoices": listed}


def collected_this_and_last_month(scope: Scope) -> list[dict]:
    """Per currency: cash collected this month so far, and in the whole of last month."""
    this_month = scope.today.replace(day=1)
    last_month = add_months(this_month, -1)
    rows = (
        scope.payments()
        .filter(paid_on__gte=last_month, paid_on__lte=scope.today)
        .values(currency=F("invoice__currency"))
        .annotate(
            this_month=Coalesce(Sum("amount", filter=Q(paid_on__gte=this_month)), ZERO),
            last_month=Coalesce(Sum("amount", filter=Q(paid_on__lt=this_month)), ZERO),
        )
        .order_by("currency")
    )
    return [{**row, "this_month": cents(row["this_month"]), "last_month": cents(row["last_month"])} for row in rows]
