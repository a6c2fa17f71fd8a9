from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.models import Customer
from invoices.models import Invoice, InvoiceStatus, Payment
from invoices.selectors import invoice_for_reference
from organizations.api.bases import OrganizationScopedSerializer
from organizations.api.fields import IdRelatedField

MAX_PDF_BYTES = 10 * 1024 * 1024


class InvoiceSerializer(OrganizationScopedSerializer):
    customer = IdRelatedField(queryset=Customer.objects.all(), required=False)
    customer_ref = serializers.CharField(
        write_only=True,
        required=False,
        help_text="Instead of `customer`: the customer's external reference.",
    )
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    open_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    pdf = serializers.FileField(write_only=True, required=False)
    pdf_url = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()
    payment_reference = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="What the debtor quotes with a transfer, compact (`090933755493`, `RF18539007547034`). Generated "
        "when the invoice is created; a valid structured communication or RF reference may be given then instead. "
        "Read-only afterwards.",
    )
    payment_reference_display = serializers.CharField(
        read_only=True, help_text="As printed: `+++090/9337/55493+++` or `RF18 5390 0754 7034`."
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "customer",
            "customer_ref",
            "issue_date",
            "due_date",
            "amount",
            "open_amount",
            "currency",
            "status",
            "payment_reference",
            "payment_reference_display",
            "days_overdue",
            "follow_up_paused",
            "follow_up_paused_reason",
            "follow_up_level",
            "last_follow_up_at",
            "next_follow_up_at",
            "pdf",
            "pdf_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "created_at",
            "updated_at",
            "follow_up_paused",
            "follow_up_paused_reason",
            "follow_up_level",
            "last_follow_up_at",
            "next_follow_up_at",
        ]

    def get_pdf_url(self, invoice: Invoice) -> str | None:
        if not invoice.pdf:
            return None
        request = self.context.get("request")
        url = reverse("api:invoice-pdf", kwargs={"pk": invoice.pk})
        return request.build_absolute_uri(url) if request else url

    def get_days_overdue(self, invoice: Invoice) -> int:
        from django.utils import timezone

        today = timezone.localdate(timezone=invoice.organization.zone) if invoice.organization_id else None
        if today is None or invoice.status not in Invoice.OWED_STATUSES:
            return 0
        return max((today - invoice.due_date).days, 0)

    def validate_number(self, value: str) -> str:
        value = value.strip()
        clash = Invoice.objects.filter(organization=self.context["organization"], number=value)
        if clash.exclude(pk=getattr(self.instance, "pk", None)).exists():
            raise serializers.ValidationError(_("Another invoice already has this number."))
        return value

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["payment_reference"].read_only = True
        return fields

    def validate_pdf(self, value):
        if value.size > MAX_PDF_BYTES:
            raise serializers.ValidationError(_("The PDF is larger than 10 MB."))
        if value.read(5) != b"%PDF-":
            raise serializers.ValidationError(_("This file is not a PDF."))
        value.seek(0)
        return value

    def validate(self, attrs):
        reference = attrs.pop("customer_ref", None)
        if reference is not None:
            customer = Customer.objects.filter(
                organization=self.context["organization"], external_ref=reference
            ).first()
            if customer is None:
                raise serializers.ValidationError({"customer_ref": _("No customer has this external reference.")})
            attrs["customer"] = customer
        if self.instance is None:
            missing = [name for name in ("customer", "number", "issue_date", "due_date", "amount") if name not in attrs]
            if missing:
                raise serializers.ValidationError({name: _("This field is required.") for name in missing})
            if attrs.get("status", InvoiceStatus.OPEN) != InvoiceStatus.OPEN:
                raise serializers.ValidationError({"status": _("New invoices start open.")})
        return attrs


class PaymentSerializer(OrganizationScopedSerializer):
    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.all(),
        required=False,
        help_text="The invoice paid. Leave it out to match the invoice by its payment `reference` instead.",
    )
    reference = serializers.CharField(
        max_length=140,
        required=False,
        allow_blank=True,
        default="",
        help_text="The reference the payment came with. Without `invoice`, it must be an invoice's payment reference "
        "(spaces, `+++`, `/` and case ignored): `+++090/9337/55493+++` finds the invoice with 090933755493.",
    )

    class Meta:
        model = Payment
        fields = ["id", "invoice", "amount", "paid_on", "method", "reference", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        if self.instance is None and attrs.get("invoice") is None:
            invoice = invoice_for_reference(organization=self.context["organization"], reference=attrs["reference"])
            if invoice is None:
                message = (
                    _("No invoice has this payment reference.")
                    if attrs.get("reference")
                    else _("Give the invoice, or the payment reference it was paid with.")
                )
                raise serializers.ValidationError({"reference": message})
            attrs["invoice"] = invoice
        return attrs

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # Amount, date and invoice are fixed once recorded; correct a mistake with a new entry.
            for name in ("invoice", "amount", "paid_on"):
                fields[name].read_only = True
        return fields
