"""Reads for invoices and payments, always inside one organization."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from invoices.models import Invoice, Payment
from organizations.models import Organization

OWED = Invoice.OWED_STATUSES
MONEY = DecimalField(max_digits=16, decimal_places=2)


def invoices_list(*, organization: Organization, search: str = "", status: str = "") -> QuerySet[Invoice]:
    queryset = Invoice.objects.filter(organization=organization).select_related("customer")
    if search:
        queryset = queryset.filter(Q(number__icontains=search) | Q(customer__name__icontains=search))
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def invoice_get(*, organization: Organization, invoice_id: int) -> Invoice:
    try:
        return Invoice.objects.select_related("customer").get(organization=organization, pk=invoice_id)
    except Invoice.DoesNotExist as exc:
        raise Http404 from exc


def payments_for(*, invoice: Invoice) -> QuerySet[Payment]:
    return Payment.objects.filter(organization_id=invoice.organization_id, invoice=invoice)


def receivables_summary(*, organization: Organization, today: date) -> list[dict]:
    """Outstanding and overdue amounts per currency, for the dashboard."""
    rows = (
        Invoice.objects.filter(organization=organization, status__in=OWED)
        .values("currency")
        .annotate(
            outstanding=Coalesce(Sum("open_amount"), Value(Decimal("0")), output_field=MONEY),
            overdue=Coalesce(
                Sum("open_amount", filter=Q(due_date__lt=today)), Value(Decimal("0")), output_field=MONEY
            ),
            open_count=Count("id"),
            overdue_count=Count("id", filter=Q(due_date__lt=today)),
        )
        .order_by("currency")
    )
    return list(rows)
