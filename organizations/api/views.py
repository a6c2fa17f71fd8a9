from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations.api.bases import OrganizationScopedMixin, OrganizationScopedViewSet
from organizations.bank_accounts import bank_account_delete, bank_account_save
from organizations.models import BankAccount, Organization


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "country",
            "time_zone",
            "default_language",
            "currency",
            "sender_name",
            "sender_email",
            "reply_to_email",
            "sender_email_verified_at",
            "payment_reference_format",
        ]


class CurrentOrganizationView(OrganizationScopedMixin, APIView):
    """The organization this API key (or the X-Organization header) gives access to."""

    model = Organization

    @extend_schema(responses=OrganizationSerializer)
    def get(self, request):
        return Response(OrganizationSerializer(self.organization).data)


class BankAccountSerializer(serializers.ModelSerializer):
    iban = serializers.CharField(max_length=50, help_text="Spaces allowed; stored upper-case without them.")
    bic = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="Optional inside the EEA; filled in from the IBAN when the bank is known.",
    )

    class Meta:
        model = BankAccount
        fields = ["id", "currency", "iban", "bic", "holder_name", "is_default", "created_at"]
        read_only_fields = ["created_at"]


class BankAccountViewSet(OrganizationScopedViewSet, mixins.DestroyModelMixin):
    """The organization's bank accounts (IBAN, BIC per currency; one default per currency). Owners, admins and
    read-write API keys change them."""

    model = BankAccount
    serializer_class = BankAccountSerializer
    configure_refusal = _("Only owners and admins can change bank accounts.")

    def perform_create(self, serializer):
        self.require_configure()
        serializer.instance = bank_account_save(
            organization=self.organization, data=serializer.validated_data, actor=self.actor
        )

    def perform_update(self, serializer):
        self.require_configure()
        serializer.instance = bank_account_save(
            organization=self.organization,
            account=serializer.instance,
            data=serializer.validated_data,
            actor=self.actor,
        )

    def perform_destroy(self, instance):
        self.require_configure()
        bank_account_delete(account=instance, actor=self.actor)
