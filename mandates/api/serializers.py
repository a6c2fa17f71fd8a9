from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer
from mandates.links import signing_url
from mandates.models import Mandate, MandateProfile, SignatureMethod
from mandates.services import PROFILE_FIELDS, profile_clean
from mandates.states import AWAITING_SIGNATURE
from organizations.api.bases import OrganizationScopedSerializer
from organizations.api.fields import IdRelatedField


class MandateProfileSerializer(OrganizationScopedSerializer):
    class Meta:
        model = MandateProfile
        fields = ["id", *PROFILE_FIELDS, "archived", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {name: {"required": True, "allow_blank": False}
                        for name in ("creditor_name", "creditor_id", "creditor_iban")}  # fmt: skip

    def validate_name(self, value: str) -> str:
        clash = MandateProfile.objects.filter(organization=self.context["organization"], name=value.strip())
        if clash.exclude(pk=getattr(self.instance, "pk", None)).exists():
            raise serializers.ValidationError(_("Another profile already has this name."))
        return value.strip()

    def validate(self, attrs):
        current = {name: getattr(self.instance, name) for name in PROFILE_FIELDS} if self.instance else {}
        cleaned, errors = profile_clean({**current, **attrs})
        if errors:
            raise serializers.ValidationError(errors)
        return {name: cleaned[name] for name in attrs}


class MandateSerializer(OrganizationScopedSerializer):
    signing_url = serializers.SerializerMethodField(help_text="The debtor's signing link, while it is unsigned.")
    has_pdf = serializers.SerializerMethodField(help_text="Whether the signed PDF can be downloaded (…/pdf/).")
    # Declared: a read-only model field loses allow_blank, and the schema's enum would leave out the "" it holds.
    signature_method = serializers.ChoiceField(
        choices=SignatureMethod.choices,
        allow_blank=True,
        read_only=True,
        help_text="How the debtor signed; empty until signed.",
    )
    signed_language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        allow_blank=True,
        read_only=True,
        help_text="Language signed in; empty until signed.",
    )

    class Meta:
        model = Mandate
        fields = [
            "id", "customer", "profile", "scheme", "reference", "state", "language", "debtor_name", "debtor_street",
            "debtor_postal_code", "debtor_city", "debtor_country", "iban", "bic", "signing_url", "link_expires_at",
            "invited_at", "opened_at", "signing_started_at", "signed_at", "signature_method", "signer_name",
            "signed_ip", "signed_user_agent", "signed_language", "declined_at", "cancelled_at", "cancel_reason",
            "suspended_at", "expired_at", "first_collection_at", "last_collection_at", "has_pdf", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = [name for name in fields if name not in ("customer", "profile")]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_signing_url(self, mandate: Mandate) -> str | None:
        return signing_url(mandate) if mandate.state in AWAITING_SIGNATURE else None

    def get_has_pdf(self, mandate: Mandate) -> bool:
        return mandate.signed_at is not None and hasattr(mandate, "document")


class MandateCreateSerializer(OrganizationScopedSerializer):
    """Prepare a mandate for a customer under a profile: a new reference and a signing link."""

    customer = IdRelatedField(queryset=Customer.objects.all())
    profile = IdRelatedField(queryset=MandateProfile.objects.all())

    class Meta:
        model = Mandate
        fields = ["customer", "profile"]


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the mandate ends; kept with it.")
