"""Reads for invoices and payments, always inside one organization."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from invoices import references
from invoices.models import Invoice, Payment, ReceivablesDay
from organizations.models import Organization

OWED = Invoice.OWED_STATUSES
MONEY = DecimalField(max_digits=16, decimal_places=2)


def payments_for(*, invoice: Invoice) -> QuerySet[Payment]:
    return Payment.objects.filter(organization_id=invoice.organization_id, invoice=invoice)


AGING_BUCKETS = [  # (key, label, days overdue from, to); None is open-ended
    ("not_due", _("Not yet due"), None, 0),
    ("1_30", _("1-30 days"), 1, 30),
    ("31_60", _("31-60 days"), 31, 60),
    ("61_90", _("61-90 days"), 61, 90),
    ("90_plus", _("Over 90 days"), 91, None),
]
DSO_WINDOW_DAYS = 90


def receivables_summary(*, organization: Organization, today: date) -> list[dict]:
    """Per currency: outstanding, overdue, aging buckets and DSO, read from the receivables ledger."""
    days = ReceivablesDay.objects.filter(organization=organization).order_by()
    window_start = today - timedelta(days=DSO_WINDOW_DAYS)
    sums = {
        "outstanding": Sum("open_amount"), "open_invoices": Sum("open_count"),
        "overdue": Sum("open_amount", filter=Q(day__lt=today)),
        "overdue_invoices": Sum("open_count", filter=Q(day__lt=today)),
        "invoiced_recently": Sum("invoiced_amount", filter=Q(day__gt=window_start, day__lte=today)),
    }  # fmt: skip
    for key, _label, start, end in AGING_BUCKETS:
        sums[f"bucket_{key}"] = Sum("open_amount", filter=_bucket_condition(today, start, end))
    rows = []
    for row in days.values("currency").annotate(**sums).order_by("currency"):
        row = {key: (value if value is not None else 0) for key, value in row.items()}
        if not row["open_invoices"]:
            continue
        row["buckets"] = _buckets(row)
        invoiced = row["invoiced_recently"]
        row["dso"] = round(row["outstanding"] / invoiced * DSO_WINDOW_DAYS) if invoiced else None
        rows.append(row)
    return rows


def _bucket_condition(today: date, start: int | None, end: int | None) -> Q:
    condition = Q()
    if start is not None:  # at least `start` days overdue: due on or before today - start
        condition &= Q(day__lte=today - timedelta(days=start))
    if end is not None:
        condition &= Q(day__gte=today - timedelta(days=end))
    return condition


def _buckets(row: dict) -> list[dict]:
    total = row["outstanding"] or Decimal("1")
    buckets = []
    for key, label, start, end in AGING_BUCKETS:
        amount = row[f"bucket_{key}"]
        query = {"status": "", "overdue_min": start, "overdue_max": end}
        buckets.append({"key": key, "label": label, "amount": amount, "percent": float(amount / total * 100),
                        "query": {k: v for k, v in query.items() if v is not None and v != ""}})  # fmt: skip
    return buckets


def invoice_for_reference(*, organization: Organization, reference: str) -> Invoice | None:
    """The organization's invoice with this payment reference, however it was written (`+++090/9337/55493+++`,
    `090933755493`, `rf18 5390 0754 7034`); None when no invoice has it."""
    compact = references.normalize(reference)
    if not compact:
        return None
    return Invoice.objects.filter(organization=organization, payment_reference=compact).first()
