from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from rest_framework import mixins

from collect.api.bases import OrganizationScopedViewSet
from customers.api.serializers import ContactSerializer, CustomerSerializer
from customers.filters import CustomerFilter
from customers.models import Contact, Customer
from customers.services import (
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_update,
)


class CustomerViewSet(OrganizationScopedViewSet):
    """Customers (debtors). Look one up by your own number with `?external_ref=`."""

    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def scope_queryset(self, queryset):
        contacts = Prefetch("contacts", queryset=Contact.objects.order_by("id"))
        return queryset.select_related("account_manager", "follow_up_plan").prefetch_related(contacts)

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
        serializer.instance = contact_update(contact=serializer.instance, actor=self.actor, **serializer.validated_data)

    def perform_destroy(self, instance):
        contact_delete(contact=instance, actor=self.actor)
