from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from customers.models import Customer
from invoices.models import Invoice
from mandates.collection_selection import Selection
from mandates.models import CollectionBatch, CollectionItem, MandateProfile
from mandates.returns import RETURN_REASONS
from organizations.api.bases import OrganizationScopedSerializer
from organizations.api.fields import IdField, IdRelatedField

# Ids fit the database's integer column; a request names at most this many.
MAX_IDS = 10_000


class CollectionDebitSerializer(OrganizationScopedSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    mandate_reference = serializers.CharField(source="mandate.reference", read_only=True)

    class Meta:
        model = CollectionItem
        fields = ["id", "batch", "invoice", "invoice_number", "customer", "mandate", "mandate_reference", "amount",
                  "end_to_end_id", "sequence_type", "status", "return_reason", "returned_at"]  # fmt: skip
        read_only_fields = fields


class DroppedInvoiceSerializer(serializers.Serializer):
    invoice = serializers.IntegerField()
    number = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=["closed", "requested", "not_yet_due", "no_mandate"],
        help_text="closed: paid, credited or written off meanwhile; requested: in another batch; not_yet_due: due "
        "after the collection date; no_mandate: no signed mandate under the profile any more.",
    )


class CollectionBatchSerializer(OrganizationScopedSerializer):
    xml_url = serializers.SerializerMethodField()
    dropped_invoices = DroppedInvoiceSerializer(
        many=True,
        read_only=True,
        help_text="Invoices of the requested selection that could no longer be collected when the batch was created.",
    )

    class Meta:
        model = CollectionBatch
        fields = [
            "id",
            "profile",
            "status",
            "collection_date",
            "pain_version",
            "message_id",
            "item_count",
            "total_amount",
            "include_not_yet_due",
            "excluded_count",
            "dropped_invoices",
            "xml_sha256",
            "xml_url",
            "created_at",
            "submitted_at",
            "paid_at",
        ]
        read_only_fields = fields

    def get_xml_url(self, batch) -> str:
        return f"/api/v1/collection-batches/{batch.pk}/xml/"


class CollectionBatchDetailSerializer(CollectionBatchSerializer):
    debits = CollectionDebitSerializer(source="items", many=True, read_only=True)

    class Meta(CollectionBatchSerializer.Meta):
        fields = [*CollectionBatchSerializer.Meta.fields, "debits"]
        read_only_fields = fields


def _id_list(*, help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=IdField(),
        required=False,
        max_length=MAX_IDS,
        help_text=help_text,
    )


class CollectionBatchCreateSerializer(OrganizationScopedSerializer):
    """Build (or preview) a batch: every collectable invoice under the profile, or only the listed `invoices`,
    without the excluded invoices and customers."""

    profile = IdRelatedField(queryset=MandateProfile.objects.all())
    collection_date = serializers.DateField(
        required=False, allow_null=True,
        help_text="Requested collection date; the earliest allowed date when empty or earlier. A closed TARGET2 day "
        "moves to the next business day.",
    )  # fmt: skip
    include_not_yet_due = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also debit invoices due after the collection date. By default only invoices due on or before "
        "the collection date are debited.",
    )
    invoices = serializers.ListField(
        child=IdField(),
        required=False,
        allow_empty=False,
        max_length=MAX_IDS,
        help_text="Only these invoices (if collectable); those no longer collectable are "
        "dropped and listed in `dropped_invoices`.",
    )
    exclude_invoices = _id_list(help_text="Invoice ids of this organization not to debit.")
    exclude_customers = _id_list(help_text="Customer ids of this organization none of whose invoices to debit.")

    class Meta:
        model = CollectionBatch
        fields = [
            "profile",
            "collection_date",
            "include_not_yet_due",
            "invoices",
            "exclude_invoices",
            "exclude_customers",
        ]

    def validate_invoices(self, ids: list[int]) -> list[int]:
        return self._own(Invoice, ids, _("Unknown invoice id(s): %(ids)s."))

    def validate_exclude_invoices(self, ids: list[int]) -> list[int]:
        return self._own(Invoice, ids, _("Unknown invoice id(s): %(ids)s."))

    def validate_exclude_customers(self, ids: list[int]) -> list[int]:
        return self._own(Customer, ids, _("Unknown customer id(s): %(ids)s."))

    def _own(self, model, ids: list[int], message: str) -> list[int]:
        """The ids must name rows of this organization; a foreign id reads as unknown (nothing is revealed)."""
        wanted = set(ids)
        known = set(
            model.objects.filter(organization=self.context["organization"], pk__in=wanted).values_list("pk", flat=True)
        )
        if unknown := sorted(wanted - known):
            raise serializers.ValidationError(message % {"ids": ", ".join(str(pk) for pk in unknown)})
        return sorted(wanted)

    def selection(self) -> Selection:
        data = self.validated_data
        return Selection.of(
            include_not_yet_due=data["include_not_yet_due"],
            invoice_ids=data.get("invoices"),
            exclude_invoices=data.get("exclude_invoices", ()),
            exclude_customers=data.get("exclude_customers", ()),
        )


class PreviewDebitSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice.pk")
    invoice_number = serializers.CharField(source="invoice.number")
    due_date = serializers.DateField(source="invoice.due_date")
    amount = serializers.DecimalField(source="invoice.open_amount", max_digits=14, decimal_places=2)
    currency = serializers.CharField(source="invoice.currency")
    customer = serializers.IntegerField(source="invoice.customer_id")
    customer_name = serializers.CharField(source="mandate.customer.name")
    mandate = serializers.IntegerField(source="mandate.pk")
    mandate_reference = serializers.CharField(source="mandate.reference")
    sequence_type = serializers.ChoiceField(choices=["FRST", "RCUR"])
    excluded = serializers.BooleanField(help_text="Left out by `exclude_invoices` or `exclude_customers`.")


class SequenceTotalSerializer(serializers.Serializer):
    sequence_type = serializers.ChoiceField(choices=["FRST", "RCUR"])
    count = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=16, decimal_places=2)


class CollectionBatchPreviewSerializer(serializers.Serializer):
    """What creating the batch now would debit; nothing is written."""

    collection_date = serializers.DateField()
    earliest_collection_date = serializers.DateField(source="earliest_date")
    include_not_yet_due = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Debits that would be created (excluded ones not counted).")
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    customers = serializers.IntegerField(help_text="Customers debited (one pre-notification e-mail each).")
    excluded_count = serializers.IntegerField()
    not_yet_due_count = serializers.IntegerField(
        source="not_yet_due", help_text="Collectable invoices due after the collection date, left out."
    )
    by_sequence = SequenceTotalSerializer(many=True)
    debits = PreviewDebitSerializer(
        source="candidates", many=True, help_text="Every candidate debit, excluded ones flagged."
    )


class MarkPaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField(help_text="The date the bank collected the batch.")


class DebitReturnSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=sorted(RETURN_REASONS), help_text="SEPA R-transaction reason code.")
