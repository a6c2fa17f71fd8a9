"""Reads for customers and contacts, always inside one organization."""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from customers.models import Contact, Customer
from organizations.models import Organization


def customers_list(*, organization: Organization, search: str = "") -> QuerySet[Customer]:
    queryset = Customer.objects.filter(organization=organization).select_related("account_manager__user")
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(external_ref__icontains=search)
            | Q(vat_number__icontains=search)
            | Q(contacts__email__icontains=search)
        ).distinct()
    return queryset


def with_open_balance(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate `open_balance`: what the customer still owes on open and disputed invoices.

    Invoices live in a higher app; the app registry reads them without an upward import.
    """
    invoice_model = apps.get_model("invoices", "Invoice")
    money = DecimalField(max_digits=16, decimal_places=2)
    balance = (
        invoice_model.objects.filter(customer=OuterRef("pk"), status__in=invoice_model.OWED_STATUSES)
        .values("customer")
        .annotate(total=Sum("open_amount"))
        .values("total")
    )
    return queryset.annotate(
        open_balance=Coalesce(Subquery(balance, output_field=money), Value(Decimal("0")), output_field=money)
    )


def customer_get(*, organization: Organization, customer_id: int) -> Customer:
    try:
        return Customer.objects.select_related("account_manager__user").get(
            organization=organization, pk=customer_id
        )
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def contact_get(*, organization: Organization, contact_id: int) -> Contact:
    try:
        return Contact.objects.select_related("customer").get(organization=organization, pk=contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc
