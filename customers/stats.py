"""Per-customer figures kept on the customer row: open balance, invoice count, oldest open due date
and whether any contact that receives messages has a valid e-mail address.

Services call `customers_refresh_stats` in the same transaction as the change, so the columns never
disagree with the invoices and contacts; `customers_refresh_stats_for_organization` rebuilds them in
bulk after imports and data generation. Invoices live in a higher app and are read through the app
registry, not imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, DecimalField, Exists, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from customers.models import Contact, Customer, EmailStatus
from organizations.models import Organization

MONEY = DecimalField(max_digits=16, decimal_places=2)


def _stats_expressions() -> dict:
    invoice_model = apps.get_model("invoices", "Invoice")
    invoices = invoice_model.objects.filter(customer=OuterRef("pk")).order_by()
    owed = invoices.filter(status__in=invoice_model.OWED_STATUSES)
    total = owed.values("customer").annotate(total=Sum("open_amount")).values("total")
    count = invoices.values("customer").annotate(count=Count("id")).values("count")
    return {
        "open_balance": Coalesce(Subquery(total, output_field=MONEY), Value(Decimal("0")), output_field=MONEY),
        "invoice_count": Coalesce(Subquery(count), Value(0)),
        "oldest_open_due_date": Subquery(owed.order_by("due_date").values("due_date")[:1]),
        "has_valid_email": Exists(
            Contact.objects.filter(customer=OuterRef("pk"), notify=True, email_status=EmailStatus.VALID)
        ),
    }


def _refresh(queryset: QuerySet[Customer]) -> int:
    return queryset.update(**_stats_expressions())


def customers_refresh_stats(*, customer_ids: Iterable[int], chunk: int = 5000) -> int:
    """Refresh these customers' figures, a chunk of ids per statement (an import may touch 100,000)."""
    ids = sorted({customer_id for customer_id in customer_ids if customer_id})
    return sum(
        _refresh(Customer.objects.filter(pk__in=ids[start : start + chunk])) for start in range(0, len(ids), chunk)
    )


def customers_refresh_stats_for_organization(*, organization: Organization, chunk: int = 5000) -> int:
    """Rebuild every customer's figures, in chunks so no single statement runs for minutes."""
    ids = list(Customer.objects.filter(organization=organization).order_by("pk").values_list("pk", flat=True))
    updated = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        updated += _refresh(Customer.objects.filter(pk__gte=part[0], pk__lte=part[-1], organization=organization))
    return updated
