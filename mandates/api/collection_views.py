from __future__ import annotations

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mandates.api.collection_serializers import (
    CollectionBatchCreateSerializer,
    CollectionBatchDetailSerializer,
    CollectionBatchPreviewSerializer,
    CollectionBatchSerializer,
    CollectionDebitSerializer,
    DebitReturnSerializer,
    MarkPaidSerializer,
)
from mandates.collection import (
    CollectionError,
    batch_build,
    batch_cancel,
    batch_download,
    batch_mark_paid,
    batch_mark_submitted,
    batch_preview,
    debit_return,
)
from mandates.models import CollectionBatch, CollectionItem
from organizations.api.bases import OrganizationScopedMixin
from organizations.filters import IdFilter


class CollectionBatchFilter(django_filters.FilterSet):
    profile = IdFilter(field_name="profile_id", help_text="Mandate profile id.")

    class Meta:
        model = CollectionBatch
        fields = ["status", "profile"]


def refused(error: CollectionError) -> Response:
    """The API's one error shape; `details` lists the pain.008 schema errors, if any."""
    body = {"code": "collection_refused", "message": error.message, "details": list(error.details)}
    return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)


class CollectionBatchViewSet(OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             mixins.CreateModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """Direct-debit batches (pain.008 files). Creating one builds and validates the file, marks the invoices as
    under collection and queues one pre-notification e-mail per customer; 400 when nothing is collectable or
    the file does not validate."""

    model = CollectionBatch
    filterset_class = CollectionBatchFilter

    def get_serializer_class(self):
        if self.action in ("create", "preview"):
            return CollectionBatchCreateSerializer
        return CollectionBatchDetailSerializer if self.action == "retrieve" else CollectionBatchSerializer

    def scope_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset.prefetch_related("items__invoice", "items__mandate")
        return queryset

    @extend_schema(request=CollectionBatchCreateSerializer, responses={201: CollectionBatchDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Build the batch from what `preview` lists minus the exclusions, re-checked at this moment: invoices of
        `invoices` no longer collectable are dropped and listed in `dropped_invoices`."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            batch = batch_build(organization=self.organization, profile=data["profile"],
                                collection_date=data.get("collection_date"), selection=serializer.selection(),
                                actor=self.actor)  # fmt: skip
        except CollectionError as error:
            return refused(error)
        return Response(CollectionBatchDetailSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CollectionBatchCreateSerializer, responses={200: CollectionBatchPreviewSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """Every debit creating the batch with the same input would make, with totals; writes nothing."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile, wanted = serializer.validated_data["profile"], serializer.validated_data.get("collection_date")
        preview = batch_preview(
            organization=self.organization, profile=profile, collection_date=wanted, selection=serializer.selection()
        )
        return Response(CollectionBatchPreviewSerializer(preview).data)

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def xml(self, request, pk=None):
        """The pain.008 file. Downloading changes nothing; POST `mark-submitted` once it went to the bank."""
        batch = self.get_object()
        try:
            xml = batch_download(batch=batch, actor=self.actor)
        except CollectionError as error:
            return refused(error)
        response = HttpResponse(xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="direct-debit-{batch.pk}.xml"'
        return response

    @extend_schema(request=None, responses={200: CollectionBatchSerializer})
    @action(detail=True, methods=["post"], url_path="mark-submitted")
    def mark_submitted(self, request, pk=None):
        """The file went to the bank: the batch can no longer be cancelled. Needs a key with write access."""
        return self._apply(lambda batch: batch_mark_submitted(batch=batch, actor=self.actor))

    @extend_schema(request=MarkPaidSerializer, responses={200: CollectionBatchSerializer})
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        batch = self.get_object()
        serializer = MarkPaidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        paid_on = serializer.validated_data["paid_on"]
        return self._apply(lambda found: batch_mark_paid(batch=found, paid_on=paid_on, actor=self.actor), batch)

    @extend_schema(request=None, responses={200: CollectionBatchSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._apply(lambda batch: batch_cancel(batch=batch, actor=self.actor))

    def _apply(self, service, batch=None):
        batch = batch or self.get_object()
        try:
            batch = service(batch)
        except CollectionError as error:
            return refused(error)
        return Response(CollectionBatchSerializer(batch).data)


class CollectionDebitFilter(django_filters.FilterSet):
    batch = IdFilter(field_name="batch_id")
    invoice = IdFilter(field_name="invoice_id")
    customer = IdFilter(field_name="customer_id")

    class Meta:
        model = CollectionItem
        fields = ["batch", "invoice", "customer", "status"]


class CollectionDebitViewSet(OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):  # fmt: skip
    """The debits of direct-debit batches. POST `return` records what the bank sent back (R-transaction)."""

    model = CollectionItem
    serializer_class = CollectionDebitSerializer
    filterset_class = CollectionDebitFilter

    def scope_queryset(self, queryset):
        return queryset.select_related("invoice", "mandate")

    @extend_schema(request=DebitReturnSerializer, responses={200: CollectionDebitSerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_debit(self, request, pk=None):
        item = self.get_object()
        serializer = DebitReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            item = debit_return(item=item, reason_code=serializer.validated_data["reason_code"], actor=self.actor)
        except CollectionError as error:
            return refused(error)
        return Response(CollectionDebitSerializer(item).data)
