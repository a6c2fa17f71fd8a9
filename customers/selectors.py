"""Reads for customers and contacts, always inside one organization."""

from __future__ import annotations

from django.db.models import Q, QuerySet
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


def customer_get(*, organization: Organization, customer_id: int) -> Customer:
    try:
        return Customer.objects.select_related("account_manager__user").get(organization=organization, pk=customer_id)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def contact_get(*, organization: Organization, contact_id: int) -> Contact:
    try:
        return Contact.objects.select_related("customer").get(organization=organization, pk=contact_id)
    except Contact.DoesNotExist as exc:
        raise Http404 from exc
