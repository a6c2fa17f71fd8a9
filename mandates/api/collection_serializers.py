from __future__ import annotations

from rest_framework import serializers

from collect.api.bases import OrganizationScopedSerializer
from mandates.models import CollectionBatch, CollectionItem, MandateProfile
from mandates.returns import RETURN_REASONS
from organizations.api.fields import IdField, IdRelatedField


class CollectionDebitSerializer(OrganizationScopedSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    mandate_reference = serializers.CharField(source="mandate.reference", read_only=True)

    class Meta:
        model = CollectionItem
        fields = ["id", "batch", "invoice", "invoice_number", "customer", "mandate", "mandate_reference", "amount",
                  "end_to_end_id", "sequence_type", "status", "return_reason", "returned_at"]  # fmt: skip
        read_only_fields = fields


class CollectionBatchSerializer(OrganizationScopedSerializer):
    xml_url = serializers.SerializerMethodField()

    class Meta:
        model = CollectionBatch
        fields = ["id", "profile", "status", "collection_date", "pain_version", "message_id", "item_count",
                  "total_amount", "xml_sha256", "xml_url", "created_at", "submitted_at", "paid_at"]  # fmt: skip
        read_only_fields = fields

    def get_xml_url(self, batch) -> str:
        return f"/api/v1/collection-batches/{batch.pk}/xml/"


class CollectionBatchDetailSerializer(CollectionBatchSerializer):
    debits = CollectionDebitSerializer(source="items", many=True, read_only=True)

    class Meta(CollectionBatchSerializer.Meta):
        fields = [*CollectionBatchSerializer.Meta.fields, "debits"]
        read_only_fields = fields


class CollectionBatchCreateSerializer(OrganizationScopedSerializer):
    """Build a batch: every collectable invoice under the profile, or only the listed `invoices`."""

    profile = IdRelatedField(queryset=MandateProfile.objects.all())
    collection_date = serializers.DateField(
        required=False, allow_null=True,
        help_text="Requested collection date; the earliest allowed date when empty or earlier. A closed TARGET2 day "
        "moves to the next business day.",
    )  # fmt: skip
    invoices = serializers.ListField(child=IdField(), required=False, allow_empty=False,
                                     help_text="Only these invoices (if collectable).")  # fmt: skip

    class Meta:
        model = CollectionBatch
        fields = ["profile", "collection_date", "invoices"]


class MarkPaidSerializer(serializers.Serializer):
    paid_on = serializers.DateField(help_text="The date the bank collected the batch.")


class DebitReturnSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=sorted(RETURN_REASONS), help_text="SEPA R-transaction reason code.")
