"""Notes on customers and invoices: list (filter by `customer` or `invoice`) and create, with @mentions."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets

from invoices.models import Note
from invoices.notes import MAX_LENGTH, note_add
from organizations.api.bases import OrganizationScopedMixin, OrganizationScopedSerializer
from organizations.filters import IdFilter


class NoteSerializer(OrganizationScopedSerializer):
    body = serializers.CharField(max_length=MAX_LENGTH, help_text="Mention members with @ and their e-mail address.")
    author_name = serializers.CharField(
        source="author_label", read_only=True, help_text="Who wrote it: a member's name, or an API key's name."
    )
    mentions = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the members (memberships) the note mentions; each got an e-mail."
    )

    class Meta:
        model = Note
        fields = ["id", "customer", "invoice", "body", "author_name", "mentions", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "customer": {"required": False, "help_text": "The customer; leave out when giving `invoice`."},
            "invoice": {"required": False, "help_text": "The invoice; the note is on its customer too."},
        }

    def validate(self, attrs):
        customer, invoice = attrs.get("customer"), attrs.get("invoice")
        if customer is None and invoice is None:
            raise serializers.ValidationError({"customer": [_("Give a customer or an invoice.")]})
        if customer is not None and invoice is not None and invoice.customer_id != customer.pk:
            raise serializers.ValidationError({"invoice": [_("This invoice belongs to another customer.")]})
        return attrs


class NoteFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    invoice = IdFilter(field_name="invoice_id")

    class Meta:
        model = Note
        fields = ["customer", "invoice"]


class NoteViewSet(
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Staff notes, newest first. A note on an invoice also belongs to its customer (`?customer=` lists both)."""

    model = Note
    serializer_class = NoteSerializer
    filterset_class = NoteFilter

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("mentions")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = note_add(
            organization=self.organization,
            body=data["body"],
            actor=self.actor,
            customer=data.get("customer"),
            invoice=data.get("invoice"),
        )
