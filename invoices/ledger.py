"""The receivables ledger: ReceivablesDay rows kept in step with invoices.

Services take a snapshot of an invoice's contribution before and after a change and add the
difference with `UPDATE … SET x = x + delta` (row-level, so concurrent changes add up correctly).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from invoices.models import Invoice, ReceivablesDay
from organizations.models import Organization

ZERO = Decimal("0")


@dataclass(frozen=True)
class Contribution:
    organization_id: int
    currency: str
    due_date: date
    issue_date: date
    open_amount: Decimal
    open_count: int
    invoiced_amount: Decimal

    @classmethod
    def of(cls, invoice: Invoice | None) -> Contribution | None:
        if invoice is None or invoice.pk is None:
            return None
        owed = invoice.status in Invoice.OWED_STATUSES
        return cls(
            organization_id=invoice.organization_id, currency=invoice.currency, due_date=invoice.due_date,
            issue_date=invoice.issue_date, open_amount=invoice.open_amount if owed else ZERO,
            open_count=1 if owed and invoice.open_amount > 0 else 0, invoiced_amount=invoice.amount,
        )  # fmt: skip


def _add(organization_id: int, currency: str, day: date, **deltas) -> None:
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    key = {"organization_id": organization_id, "currency": currency, "day": day}
    ReceivablesDay.objects.get_or_create(**key)
    ReceivablesDay.objects.filter(**key).update(**{name: F(name) + value for name, value in deltas.items()})


def ledger_apply(before: Contribution | None, after: Contribution | None) -> None:
    """Move an invoice's contribution from `before` to `after` (either may be None)."""
    ledger_apply_many([(before, after)])


def ledger_apply_many(changes: list[tuple[Contribution | None, Contribution | None]]) -> None:
    """Move many invoices' contributions at once: the deltas are summed per day first, one update per day."""
    days: dict[tuple[int, str, date], dict[str, Decimal | int]] = {}
    for before, after in changes:
        if before == after:
            continue
        for sign, part in ((-1, before), (1, after)):
            if part is None:
                continue
            _collect(days, (part.organization_id, part.currency, part.due_date),
                     open_amount=sign * part.open_amount, open_count=sign * part.open_count)  # fmt: skip
            _collect(days, (part.organization_id, part.currency, part.issue_date),
                     invoiced_amount=sign * part.invoiced_amount, invoiced_count=sign)  # fmt: skip
    for (organization_id, currency, day), deltas in days.items():
        _add(organization_id, currency, day, **deltas)


def _collect(days: dict, key: tuple[int, str, date], **deltas) -> None:
    totals = days.setdefault(key, {})
    for name, value in deltas.items():
        totals[name] = totals.get(name, 0) + value


@transaction.atomic
def ledger_rebuild(*, organization: Organization) -> int:
    """Recompute the organization's ledger from its invoices (after imports or data generation)."""
    ReceivablesDay.objects.filter(organization=organization).delete()
    invoices = Invoice.objects.filter(organization=organization).order_by()
    owed = Q(status__in=Invoice.OWED_STATUSES)
    rows: dict[tuple[str, date], ReceivablesDay] = {}

    def row(currency, day):
        return rows.setdefault((currency, day), ReceivablesDay(organization=organization, currency=currency, day=day))

    by_due = invoices.filter(owed).values("currency", "due_date").annotate(
        amount=Sum("open_amount"), count=Count("id", filter=Q(open_amount__gt=0)))  # fmt: skip
    for entry in by_due:
        target = row(entry["currency"], entry["due_date"])
        target.open_amount, target.open_count = entry["amount"], entry["count"]
    for entry in invoices.values("currency", "issue_date").annotate(amount=Sum("amount"), count=Count("id")):
        target = row(entry["currency"], entry["issue_date"])
        target.invoiced_amount, target.invoiced_count = entry["amount"], entry["count"]
    ReceivablesDay.objects.bulk_create(rows.values(), batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE invoices_receivablesday")
    return len(rows)
