"""The reports, one definition each for the page, the CSV and Excel exports and the API: columns and rows.

A row is a dict of plain values (Decimal, int, date, text); `links` maps a column to the invoice list that shows
exactly the invoices behind that cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from invoices.selectors import AGING_BUCKETS
from reports import selectors
from reports.scope import Scope


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, money (in the row's currency), int, number, percent, days, date, month


@dataclass(frozen=True)
class ReportOptions:
    days: int = 14  # follow-up effectiveness: paid within this many days after a message


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: Callable[[Scope, ReportOptions], list[dict]]
    uses_period: bool = True
    uses_currency: bool = True
    uses_days: bool = False
    chart: str = ""  # the column whose values the bar chart shows ("" for none); "aging" for stacked buckets


def invoice_list_url(scope: Scope, **query) -> str:
    base = reverse("invoices:list", kwargs={"organization_slug": scope.organization.slug})
    return f"{base}?{urlencode({key: value for key, value in query.items() if value not in (None, '')})}"


def _aging_rows(scope: Scope, options: ReportOptions) -> list[dict]:
    rows = []
    for entry in selectors.aging_by_manager(scope):
        manager = "none" if entry["manager_id"] is None else str(entry["manager_id"])
        common = {"account_manager": manager, "currency": entry["currency"]}
        row = {
            "manager": entry["manager"] or str(_("No account manager")),
            "currency": entry["currency"],
            "total": entry["total"],
            "count": entry["count"],
            "links": {"total": invoice_list_url(scope, outstanding="true", **common)},
        }
        for bucket in entry["buckets"]:
            row[bucket["key"]] = bucket["amount"]
            row["links"][bucket["key"]] = invoice_list_url(scope, **common, **bucket["query"])
        row["buckets"] = [
            {
                "key": bucket["key"],
                "amount": bucket["amount"],
                "percent": float(bucket["amount"] / entry["total"] * 100) if entry["total"] else 0.0,
            }
            for bucket in entry["buckets"]
        ]
        rows.append(row)
    return rows


def _actions_rows(scope: Scope, options: ReportOptions) -> list[dict]:
    return [
        {**entry, "manager": entry["manager"] or str(_("Unassigned"))} for entry in selectors.actions_by_manager(scope)
    ]


def _performance_rows(scope: Scope, options: ReportOptions) -> list[dict]:
    return selectors.monthly_performance(scope)


def _days_to_pay_rows(scope: Scope, options: ReportOptions) -> list[dict]:
    return selectors.days_to_pay(scope)


def _top_debtor_rows(scope: Scope, options: ReportOptions) -> list[dict]:
    rows = selectors.top_debtors(scope, limit=50)
    for row in rows:
        row["links"] = {
            "outstanding": invoice_list_url(
                scope, customer=row["customer_id"], currency=row["currency"], outstanding="true"
            ),
            "overdue": invoice_list_url(scope, customer=row["customer_id"], currency=row["currency"], overdue_min=1),
        }
    return rows


def _follow_up_rows(scope: Scope, options: ReportOptions) -> list[dict]:
    return selectors.follow_up_effectiveness(scope, days=options.days)


MONEY_BUCKETS = [Column(key, label, "money") for key, label, _start, _end in AGING_BUCKETS]

REPORTS: dict[str, Report] = {
    report.name: report
    for report in [
        Report(
            "aging",
            _("Aging per account manager"),
            _("What each account manager's customers owe today, by days overdue. Each amount opens its invoices."),
            [
                Column("manager", _("Account manager")),
                Column("currency", _("Currency")),
                *MONEY_BUCKETS,
                Column("total", _("Total"), "money"),
                Column("count", _("Invoices"), "int"),
            ],
            _aging_rows,
            uses_period=False,
            chart="aging",
        ),
        Report(
            "actions",
            _("Actions per account manager"),
            _("Tasks opened and done in the period, and what is still to do (overdue: past its due day)."),
            [
                Column("manager", _("Assigned to")),
                Column("opened", _("Opened"), "int"),
                Column("done", pgettext_lazy("task", "Done"), "int"),
                Column("to_do", _("To do"), "int"),
                Column("overdue", _("Overdue"), "int"),
            ],
            _actions_rows,
            uses_currency=False,
            chart="done",
        ),
        Report(
            "performance",
            _("Collection performance per month"),
            _(
                "Invoiced and collected per month; outstanding, overdue and DSO at each month's end; the collection "
                "effectiveness index (CEI: collected out of what could be collected)."
            ),
            [
                Column("currency", _("Currency")),
                Column("month", _("Month"), "month"),
                Column("invoiced", _("Invoiced"), "money"),
                Column("collected", _("Collected"), "money"),
                Column("outstanding", _("Outstanding"), "money"),
                Column("overdue", _("Overdue"), "money"),
                Column("dso", _("DSO"), "days"),
                Column("cei", _("CEI"), "percent"),
            ],
            _performance_rows,
            chart="outstanding",
        ),
        Report(
            "days-to-pay",
            _("Average days to pay per customer"),
            _(
                "Invoices paid in full in the period: average days from issue to the last payment, against the "
                "period of the same length before it."
            ),
            [
                Column("customer", _("Customer")),
                Column("invoices", _("Invoices paid"), "int"),
                Column("average_days", _("Average days to pay"), "number"),
                Column("previous_average_days", _("Previous period"), "number"),
                Column("trend_days", _("Change (days)"), "number"),
            ],
            _days_to_pay_rows,
        ),
        Report(
            "top-debtors",
            _("Top debtors"),
            _("The customers who owe most today, with the overdue part and the oldest due date."),
            [
                Column("customer", _("Customer")),
                Column("currency", _("Currency")),
                Column("outstanding", _("Outstanding"), "money"),
                Column("overdue", _("Overdue"), "money"),
                Column("overdue_invoices", _("Overdue invoices"), "int"),
                Column("oldest_due_date", _("Oldest due date"), "date"),
            ],
            _top_debtor_rows,
            uses_period=False,
            chart="outstanding",
        ),
        Report(
            "follow-up",
            _("Follow-up effectiveness"),
            _(
                "Per step: invoices its messages listed (sent in the period) and the share paid in full within the "
                "chosen number of days after the message."
            ),
            [
                Column("plan", _("Plan")),
                Column("step", _("Step")),
                Column("invoices", _("Invoices"), "int"),
                Column("paid_within", _("Paid in time"), "int"),
                Column("share", _("Share paid"), "percent"),
            ],
            _follow_up_rows,
            uses_days=True,
            chart="share",
        ),
    ]
}
