"""Per-customer figures kept on the customer row: open balance, invoice count, oldest open due date
and whether any contact that receives messages has a valid e-mail address; and what the customer owes per
currency (`CustomerBalance`).

`open_balance` is the organization's currency only (filters and sorting read it; amounts in different
currencies are never added together); every currency owed, the organization's included, has its
`CustomerBalance` row for the pages to show apart.

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
from django.db.models.functions import Coalesce, Upper

from customers.models import Contact, Customer, CustomerBalance, EmailStatus
from organizations.models import Organization

MONEY = DecimalField(max_digits=16, decimal_places=2)


def _owed_invoices() -> QuerySet:
    invoice_model = apps.get_model("invoices", "Invoice")
    return invoice_model.objects.filter(status__in=invoice_model.OWED_STATUSES).order_by()


def _stats_expressions(currency: str) -> dict:
    invoices = apps.get_model("invoices", "Invoice").objects.filter(customer=OuterRef("pk")).order_by()
    owed = _owed_invoices().filter(customer=OuterRef("pk"))
    in_currency = owed.filter(currency__iexact=currency)
    total = in_currency.values("customer").annotate(total=Sum("open_amount")).values("total")
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
    """The row figures first (the UPDATE locks the customers, so two refreshes of one customer take turns),
    then the per-currency rows."""
    updated = 0
    organizations = queryset.order_by().values_list("organization_id", "organization__currency").distinct()
    for organization_id, currency in organizations:
        updated += queryset.filter(organization_id=organization_id).update(**_stats_expressions(currency))
    _refresh_balances(queryset)
    return updated


def _refresh_balances(customers: QuerySet[Customer]) -> None:
    ids = customers.values("pk")
    CustomerBalance.objects.filter(customer__in=ids).delete()
    owed = (
        _owed_invoices()
        .filter(customer__in=ids)
        .values("organization_id", "customer_id", currency_code=Upper("currency"))
        .annotate(total=Sum("open_amount"))
    )
    rows = [
        CustomerBalance(
            organization_id=row["organization_id"],
            customer_id=row["customer_id"],
            currency=row["currency_code"],
            open_amount=row["total"],
        )
        for row in owed
    ]
    CustomerBalance.objects.bulk_create(rows, batch_size=2000)


def customer_balances(customer: Customer) -> list[CustomerBalance]:
    """What the customer owes, one row per currency, the organization's currency first (none: nothing owed)."""
    currency = customer.organization.currency.upper()
    return sorted(customer.balances.all(), key=lambda balance: (balance.currency != currency, balance.currency))


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
