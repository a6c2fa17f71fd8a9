from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.api import bulk as customer_bulk
from customers.api.serializers import ContactSerializer, CustomerSerializer
from customers.filters import CustomerFilter
from customers.models import Contact, Customer
from customers.services import (
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_pause_follow_up,
    customer_update,
)
from organizations.api.bases import OrganizationScopedViewSet
from organizations.api.bulk import BulkRefusalSerializer, BulkResultSerializer, bulk_request_response
from organizations.filters import IdFilter


class CustomerPauseSerializer(serializers.Serializer):
    until = serializers.DateField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CustomerViewSet(OrganizationScopedViewSet):
    """Customers (debtors). Look one up by your own number with `?external_ref=`."""

    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def scope_queryset(self, queryset):
        contacts = Prefetch("contacts", queryset=Contact.objects.order_by("id"))
        return queryset.select_related("account_manager", "follow_up_plan").prefetch_related(contacts, "balances")

    @extend_schema(request=CustomerPauseSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Hold every automatic message to this customer until `until` (inclusive)."""
        customer = self.get_object()  # before validating: a foreign id is a 404, whatever the body says
        serializer = CustomerPauseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = customer_pause_follow_up(customer=customer, actor=self.actor, **serializer.validated_data)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """End the customer's pause."""
        customer = customer_pause_follow_up(customer=self.get_object(), until=None, actor=self.actor)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(
        request=customer_bulk.CustomerBulkRequestSerializer,
        responses={200: BulkResultSerializer, 400: BulkRefusalSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Create or update up to 1,000 customers by `external_ref`, as rows of the customer import (same checks,
        same activity entries). `mode`: `all_or_nothing` (any invalid row: 400, nothing written) or `per_row`."""
        return bulk_request_response(
            request=request,
            serializer_class=customer_bulk.CustomerBulkRequestSerializer,
            importer=customer_bulk.IMPORTER,
            model=Customer,
            organization=self.organization,
            actor=self.actor,
        )

    def perform_create(self, serializer):
        serializer.instance = customer_create(
            organization=self.organization, actor=self.actor, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = customer_update(
            customer=serializer.instance, actor=self.actor, **serializer.validated_data
        )


class ContactFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
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
