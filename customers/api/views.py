from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from rest_framework import mixins

from collect.api.bases import OrganizationScopedViewSet
from customers.api.serializers import ContactSerializer, CustomerSerializer
from customers.models import Contact, Customer
from customers.selectors import with_open_balance
from customers.services import (
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_update,
)


class CustomerFilter(django_filters.FilterSet):
    external_ref = django_filters.CharFilter(
        help_text="Exact external reference (your accounting system's number)."
    )
    type = django_filters.CharFilter()
    language = django_filters.CharFilter()
    country = django_filters.CharFilter(lookup_expr="iexact")
    search = django_filters.CharFilter(
        method="filter_search", help_text="Name, reference, VAT number or e-mail."
    )

    class Meta:
        model = Customer
        fields = ["external_ref", "type", "language", "country"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(external_ref__icontains=value)
            | Q(vat_number__icontains=value)
            | Q(pk__in=Contact.objects.filter(email__icontains=value).values("customer_id"))
        )


class CustomerViewSet(OrganizationScopedViewSet):
    """Customers (debtors). Look one up by your own number with `?external_ref=`."""

    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def scope_queryset(self, queryset):
        contacts = Prefetch("contacts", queryset=Contact.objects.order_by("id"))
        return with_open_balance(queryset).select_related("account_manager").prefetch_related(contacts)

    def perform_create(self, serializer):
        serializer.instance = customer_create(
            organization=self.organization, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = customer_update(
            customer=serializer.instance, actor=self.actor, **serializer.validated_data
        )


class ContactFilter(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    email = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["customer", "email", "notify", "email_status"]


class ContactViewSet(mixins.DestroyModelMixin, OrganizationScopedViewSet):
    """People at a customer. Contacts with `notify` on receive the customer's messages."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilter

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        customer = data.pop("customer")
        serializer.instance = contact_create(customer=customer, actor=self.actor, **data)

    def perform_update(self, serializer):
        serializer.instance = contact_update(
            contact=serializer.instance, actor=self.actor, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        contact_delete(contact=instance, actor=self.actor)
