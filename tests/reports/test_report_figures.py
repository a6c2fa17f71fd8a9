"""Every figure of the reports, recomputed here from the raw invoices and payments (never from the ledger) in plain
Python, on generated data with partial payments, credits, write-offs, disputes and two currencies."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from invoices.models import Invoice, Payment
from messaging.models import DispatchInvoice
from reports import selectors
from reports.scope import Scope, add_months
from tests.reports.conftest import TODAY

pytestmark = pytest.mark.django_db
OWED = {"open", "disputed"}
RECEIVABLE = {"open", "disputed", "paid"}


def raw(organization):
    invoices = {
        row["id"]: row
        for row in Invoice.objects.filter(organization=organization).values(
            "id",
            "customer_id",
            "customer__account_manager_id",
            "issue_date",
            "due_date",
            "amount",
            "open_amount",
            "currency",
            "status",
        )
    }
    payments = list(Payment.objects.filter(organization=organization).values("invoice_id", "amount", "paid_on"))
    return invoices, payments


def in_scope(invoice, manager) -> bool:
    return manager is None or invoice["customer__account_manager_id"] == manager


def bucket_of(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "not_due"
    return (
        "1_30"
        if days_overdue <= 30
        else "31_60"
        if days_overdue <= 60
        else "61_90"
        if days_overdue <= 90
        else "90_plus"
    )


def test_aging_per_account_manager_matches_the_open_invoices(receivables):
    invoices, _payments = raw(receivables.org_a)
    expected = defaultdict(lambda: defaultdict(Decimal))
    for invoice in invoices.values():
        if invoice["status"] in OWED:
            key = (invoice["customer__account_manager_id"], invoice["currency"])
            expected[key][bucket_of((TODAY - invoice["due_date"]).days)] += invoice["open_amount"]
            expected[key]["total"] += invoice["open_amount"]
    rows = selectors.aging_by_manager(Scope.build(organization=receivables.org_a, membership=None, today=TODAY))
    got = {
        (row["manager_id"], row["currency"]): {"total": row["total"]} | {b["key"]: b["amount"] for b in row["buckets"]}
        for row in rows
    }
    assert set(got) == set(expected)
    for key, figures in expected.items():
        for name, amount in figures.items():
            assert got[key][name] == amount, (key, name)
    assert {row["manager_id"] for row in rows} == {receivables.manager_a.pk, receivables.second_manager.pk, None}


def outstanding_at(invoices, payments, moment: date, currency: str, manager=None) -> tuple[Decimal, Decimal]:
    """Outstanding and overdue at the start of `moment`: receivable invoices issued before it, with today's open
    amount plus what was paid on them on or after it."""
    paid_after = defaultdict(Decimal)
    for payment in payments:
        if payment["paid_on"] >= moment:
            paid_after[payment["invoice_id"]] += payment["amount"]
    outstanding = overdue = Decimal("0")
    for invoice in invoices.values():
        if invoice["status"] not in RECEIVABLE or invoice["currency"] != currency or not in_scope(invoice, manager):
            continue
        if invoice["issue_date"] < moment:
            owed = (invoice["open_amount"] if invoice["status"] in OWED else 0) + paid_after[invoice["id"]]
            outstanding += owed
            overdue += owed if invoice["due_date"] < moment else 0
    return outstanding, overdue


@pytest.mark.parametrize("manager", ["all", "first"])
def test_collection_performance_per_month_recomputed_from_invoices_and_payments(receivables, manager):
    manager_id = receivables.manager_a.pk if manager == "first" else None
    invoices, payments = raw(receivables.org_a)
    scope = Scope.build(
        organization=receivables.org_a,
        membership=None,
        today=TODAY,
        manager=manager_id,
        start=date(2026, 1, 1),
        end=TODAY,
    )
    rows = selectors.monthly_performance(scope)
    assert {row["currency"] for row in rows} == {"EUR", "USD"}
    assert len(rows) == 2 * 12
    for row in rows:
        currency, month = row["currency"], row["month"]
        following = add_months(month, 1)
        relevant = [
            i
            for i in invoices.values()
            if i["status"] in RECEIVABLE and i["currency"] == currency and in_scope(i, manager_id)
        ]
        invoiced = sum((i["amount"] for i in relevant if month <= i["issue_date"] < following), Decimal("0"))
        ids = {i["id"] for i in relevant}
        collected = sum(
            (p["amount"] for p in payments if p["invoice_id"] in ids and month <= p["paid_on"] < following),
            Decimal("0"),
        )
        outstanding, overdue = outstanding_at(invoices, payments, following, currency, manager_id)
        opening, _ = outstanding_at(invoices, payments, month, currency, manager_id)
        window = sum(
            (i["amount"] for i in relevant if following - timedelta(days=90) <= i["issue_date"] < following),
            Decimal("0"),
        )
        assert row["invoiced"] == invoiced, month
        assert row["collected"] == collected, month
        assert row["outstanding"] == outstanding, month
        assert row["overdue"] == overdue, month
        assert row["dso"] == (round(outstanding / window * 90) if window else None), month
        collectable = opening + invoiced - (outstanding - overdue)
        cei = (
            ((opening + invoiced - outstanding) / collectable * 100).quantize(Decimal("0.1"))
            if collectable > 0
            else None
        )
        assert row["cei"] == cei, month


def test_the_last_months_outstanding_is_what_is_owed_today(receivables):
    """Rolled back from today, the current month's end equals the open amounts of today's owed invoices."""
    invoices, _ = raw(receivables.org_a)
    rows = selectors.monthly_performance(Scope.build(organization=receivables.org_a, membership=None, today=TODAY))
    for currency in ("EUR", "USD"):
        (last,) = [row for row in rows if row["currency"] == currency and row["month"] == date(2026, 12, 1)]
        owed = sum(
            (i["open_amount"] for i in invoices.values() if i["status"] in OWED and i["currency"] == currency),
            Decimal("0"),
        )
        assert last["outstanding"] == owed


def test_days_to_pay_per_customer_and_its_trend(receivables):
    invoices, payments = raw(receivables.org_a)
    scope = Scope.build(organization=receivables.org_a, membership=None, today=TODAY, start=date(2026, 6, 1), end=TODAY)
    last_paid = {}
    for payment in payments:
        last_paid[payment["invoice_id"]] = max(
            last_paid.get(payment["invoice_id"], payment["paid_on"]), payment["paid_on"]
        )
    current, previous = defaultdict(list), defaultdict(list)
    for invoice in invoices.values():
        paid_on = last_paid.get(invoice["id"])
        if invoice["status"] != "paid" or paid_on is None:
            continue
        days = (paid_on - invoice["issue_date"]).days
        if scope.start <= paid_on <= scope.end:
            current[invoice["customer_id"]].append(days)
        elif scope.previous_start <= paid_on < scope.start:
            previous[invoice["customer_id"]].append(days)
    rows = selectors.days_to_pay(scope)
    assert {row["customer_id"] for row in rows} == set(current)
    for row in rows:
        days = current[row["customer_id"]]
        assert row["invoices"] == len(days)
        assert row["average_days"] == (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"))
        before = previous.get(row["customer_id"])
        expected_before = (Decimal(sum(before)) / len(before)).quantize(Decimal("0.1")) if before else None
        assert row["previous_average_days"] == expected_before


def test_top_debtors_are_the_largest_open_balances_per_currency(receivables):
    invoices, _ = raw(receivables.org_a)
    owed, overdue = defaultdict(Decimal), defaultdict(Decimal)
    for invoice in invoices.values():
        if invoice["status"] in OWED and invoice["open_amount"] > 0:
            key = (invoice["customer_id"], invoice["currency"])
            owed[key] += invoice["open_amount"]
            overdue[key] += invoice["open_amount"] if invoice["due_date"] < TODAY else 0
    expected = sorted(owed.items(), key=lambda item: (-item[1], item[0][0]))[:5]
    rows = selectors.top_debtors(Scope.build(organization=receivables.org_a, membership=None, today=TODAY), limit=5)
    assert [((row["customer_id"], row["currency"]), row["outstanding"]) for row in rows] == expected
    for row in rows:
        assert row["overdue"] == overdue[(row["customer_id"], row["currency"])]


def test_follow_up_effectiveness_counts_invoices_paid_within_the_days_after_each_step(receivables):
    invoices, payments = raw(receivables.org_a)
    last_paid = {}
    for payment in payments:
        last_paid[payment["invoice_id"]] = max(
            last_paid.get(payment["invoice_id"], payment["paid_on"]), payment["paid_on"]
        )
    scope = Scope.build(organization=receivables.org_a, membership=None, today=TODAY, start=date(2025, 1, 1), end=TODAY)
    expected = defaultdict(lambda: [0, 0])
    items = DispatchInvoice.objects.filter(organization=receivables.org_a).values(
        "invoice_id", "dispatch__step_id", "dispatch__sent_at", "dispatch__status"
    )
    for item in items:
        if item["dispatch__status"] != "sent" or item["dispatch__sent_at"] is None:
            continue
        sent_on = item["dispatch__sent_at"].astimezone(receivables.org_a.zone).date()
        if not scope.start <= sent_on <= scope.end:
            continue
        invoice = invoices[item["invoice_id"]]
        paid_on = last_paid.get(item["invoice_id"])
        in_time = invoice["status"] == "paid" and paid_on is not None and 0 <= (paid_on - sent_on).days <= 30
        expected[item["dispatch__step_id"]][0] += 1
        expected[item["dispatch__step_id"]][1] += in_time
    rows = selectors.follow_up_effectiveness(scope, days=30)
    assert {row["step_id"]: [row["invoices"], row["paid_within"]] for row in rows} == dict(expected)
    assert sum(row["paid_within"] for row in rows) > 0  # the generated data has some: the test can fail


def test_portfolio_figures_cover_exactly_the_managers_customers(receivables):
    invoices, _ = raw(receivables.org_a)
    manager = receivables.manager_a.pk
    scope = Scope.build(organization=receivables.org_a, membership=receivables.manager_a, today=TODAY)
    assert scope.manager_id == manager
    for row in selectors.receivables_for_scope(scope):
        mine = [
            i
            for i in invoices.values()
            if i["status"] in OWED and i["currency"] == row["currency"] and i["customer__account_manager_id"] == manager
        ]
        assert row["outstanding"] == sum((i["open_amount"] for i in mine), Decimal("0"))
        assert row["overdue"] == sum((i["open_amount"] for i in mine if i["due_date"] < TODAY), Decimal("0"))
        assert row["open_invoices"] == len(mine)


def test_actions_per_account_manager(receivables):
    from reminders.models import Task

    scope = Scope.build(organization=receivables.org_a, membership=None, today=TODAY, start=date(2026, 9, 1), end=TODAY)
    rows = {row["manager_id"]: row for row in selectors.actions_by_manager(scope)}
    for manager_id, row in rows.items():
        tasks = list(Task.objects.filter(organization=receivables.org_a, assigned_to_id=manager_id))
        zone = receivables.org_a.zone
        assert row["to_do"] == sum(1 for t in tasks if t.status == "todo")
        assert row["overdue"] == sum(1 for t in tasks if t.status == "todo" and t.due_on and t.due_on < TODAY)
        assert row["done"] == sum(
            1 for t in tasks if t.status == "done" and scope.start <= t.done_at.astimezone(zone).date() <= scope.end
        )


def test_top_overdue_customers_are_the_largest_balances_of_customers_with_an_overdue_invoice(receivables):
    invoices, _ = raw(receivables.org_a)
    owed, late = defaultdict(Decimal), set()
    for invoice in invoices.values():
        if invoice["status"] in OWED and invoice["open_amount"] > 0:
            owed[(invoice["customer_id"], invoice["currency"])] += invoice["open_amount"]
        if invoice["status"] in OWED and invoice["due_date"] < TODAY:
            late.add(invoice["customer_id"])
    expected = sorted(
        ((key, amount) for key, amount in owed.items() if key[0] in late), key=lambda item: (-item[1], item[0][0])
    )[:10]
    scope = Scope.build(organization=receivables.org_a, membership=None, today=TODAY)
    rows = selectors.top_debtors(scope, limit=10, overdue_only=True)
    assert [((row["customer_id"], row["currency"]), row["outstanding"]) for row in rows] == expected
