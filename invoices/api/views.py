from __future__ import annotations

import django_filters
from django.http import FileResponse, Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from invoices.api import bulk as invoice_bulk
from invoices.api.serializers import InvoiceSerializer, PaymentSerializer
from invoices.filters import InvoiceFilter
from invoices.models import Invoice, Payment
from invoices.payment_details import payment_details_for_invoice, qr_png, qr_svg
from invoices.services import (
    invoice_change_status,
    invoice_create,
    invoice_pause_follow_up,
    invoice_update,
    payment_record,
    payment_update,
)
from organizations.api.bases import OrganizationScopedViewSet
from organizations.api.bulk import BulkRefusalSerializer, BulkResultSerializer, bulk_request_response
from organizations.filters import IdFilter
from organizations.services import log_action


class PauseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class InvoiceViewSet(OrganizationScopedViewSet):
    """Invoices. Look one up by number with `?number=`; create with `customer` or `customer_ref`."""

    model = Invoice
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter

    def scope_queryset(self, queryset):
        return queryset.select_related("organization")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("status", None)
        customer = data.pop("customer")
        serializer.instance = invoice_create(
            organization=self.organization, customer=customer, actor=self.actor, **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        status = data.pop("status", None)
        invoice = invoice_update(invoice=serializer.instance, actor=self.actor, **data)
        if status is not None:
            invoice = invoice_change_status(invoice=invoice, status=status, actor=self.actor)
        serializer.instance = invoice

    @extend_schema(
        request=invoice_bulk.InvoiceBulkRequestSerializer,
        responses={200: BulkResultSerializer, 400: BulkRefusalSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Create or update up to 1,000 invoices by `number`, as rows of the invoice import (same checks, same
        activity entries). `mode`: `all_or_nothing` (any invalid row: 400, nothing written) or `per_row`."""
        return bulk_request_response(
            request=request,
            serializer_class=invoice_bulk.InvoiceBulkRequestSerializer,
            importer=invoice_bulk.IMPORTER,
            model=Invoice,
            organization=self.organization,
            actor=self.actor,
        )

    @extend_schema(request=PauseSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Take this invoice out of automatic follow-up, with a reason."""
        invoice = self.get_object()  # before validating: a foreign id is a 404, whatever the body says
        serializer = PauseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invoice = invoice_pause_follow_up(invoice=invoice, paused=True, actor=self.actor,
                                          reason=serializer.validated_data["reason"])  # fmt: skip
        return Response(InvoiceSerializer(invoice, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Put this invoice back under automatic follow-up."""
        invoice = invoice_pause_follow_up(invoice=self.get_object(), paused=False, actor=self.actor)
        return Response(InvoiceSerializer(invoice, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[OpenApiParameter("image", str, enum=["png", "svg"], description="png (default) or svg")],
        responses={(200, "image/png"): OpenApiTypes.BINARY, (200, "image/svg+xml"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], url_path="payment-qr")
    def payment_qr(self, request, pk=None):
        """The EPC QR code (EPC069-12) for paying this invoice's open amount by SEPA credit transfer, with its
        payment reference, to the organization's default euro account. 404 when there is none: the invoice is
        not in euro, nothing is open, or no euro bank account is set up."""
        invoice = self.get_object()
        payload = payment_details_for_invoice(invoice=invoice).invoices[0].epc_payload
        if not payload or invoice.status not in Invoice.OWED_STATUSES:
            raise Http404("No EPC QR code for this invoice.")
        if request.query_params.get("image") == "svg":
            return HttpResponse(qr_svg(payload), content_type="image/svg+xml")
        return HttpResponse(qr_png(payload), content_type="image/png")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        """Download the invoice PDF."""
        invoice = self.get_object()
        if not invoice.pdf:
            raise Http404("This invoice has no PDF.")
        log_action(organization=self.organization, subject=invoice, code="invoice.pdf_downloaded", actor=self.actor)
        return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf")


class PaymentFilter(django_filters.FilterSet):
    invoice = IdFilter(field_name="invoice_id")
    customer = IdFilter(field_name="invoice__customer_id")

    class Meta:
        model = Payment
        fields = ["invoice", "customer", "method"]


class PaymentViewSet(OrganizationScopedViewSet):
    """Payments. Recording one lowers the invoice's open amount; at zero the invoice is paid."""

    model = Payment
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter

    def perform_create(self, serializer):
        serializer.instance = payment_record(actor=self.actor, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = payment_update(payment=serializer.instance, actor=self.actor, **serializer.validated_data)
