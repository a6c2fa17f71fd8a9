from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from campaigns.models import Campaign, Invitation
from campaigns.selectors import STAGE_LABELS, signing_link
from organizations.api.bases import OrganizationScopedSerializer
from organizations.api.fields import IdField


@extend_schema_serializer(examples=[
    OpenApiExample("A campaign", response_only=True, value={
        "id": 12, "name": "Spring 2026 direct debit", "profile": 3, "status": "open", "invited": 1250,
        "signed": 610, "percent_signed": 49, "created_at": "2026-03-02T09:15:00Z", "closed_at": None}),
    OpenApiExample("Create a campaign", request_only=True, value={"name": "Spring 2026 direct debit", "profile": 3}),
])  # fmt: skip
class CampaignSerializer(OrganizationScopedSerializer):
    invited = serializers.IntegerField(read_only=True, help_text="Invitations in the campaign.")
    signed = serializers.IntegerField(read_only=True, help_text="Invitations whose mandate was signed.")
    percent_signed = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "profile", "status", "invited", "signed", "percent_signed", "created_at", "closed_at"]
        read_only_fields = ["status", "created_at", "closed_at"]

    def get_percent_signed(self, campaign) -> int:
        invited = getattr(campaign, "invited", 0)
        return round(100 * campaign.signed / invited) if invited else 0

    def validate_profile(self, profile):
        if self.instance is not None and profile != self.instance.profile:
            raise serializers.ValidationError(_("The profile of a campaign cannot change."))
        return profile


@extend_schema_serializer(examples=[
    OpenApiExample("By ids", request_only=True, value={"customer_ids": [101, 102, 103]}),
    OpenApiExample("By filter", request_only=True, value={
        "filters": {"valid_email": "true", "has_invoices": "true", "has_agreements": "false"},
        "include_signed": False}),
])  # fmt: skip
class CampaignInviteSerializer(serializers.Serializer):
    customer_ids = serializers.ListField(
        child=IdField(), required=False, max_length=100_000,
        help_text="Invite exactly these customers.",
    )  # fmt: skip
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False,
        help_text="Invite every customer matching these filters: the query parameters of GET /api/v1/customers/ "
        "(valid_email, has_invoices, has_agreements, profile, agreement_state, type, language, country, …).",
    )  # fmt: skip
    include_signed = serializers.BooleanField(
        default=False, help_text="Also invite customers who already signed a mandate on the campaign's profile."
    )

    def validate(self, data):
        if ("customer_ids" in data) == ("filters" in data):
            raise serializers.ValidationError(_("Give either customer_ids or filters."))
        return data


@extend_schema_serializer(examples=[
    OpenApiExample("Job started", response_only=True, value={
        "job": 57, "status": "queued", "total": 1250,
        "progress_url": "https://collect.example/o/acme-be/customers/jobs/57/"}),
])  # fmt: skip
class CampaignInviteJobSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text="The background job's id.")
    status = serializers.CharField()
    total = serializers.IntegerField(help_text="Customers selected; each becomes an invitation or a reported problem.")
    progress_url = serializers.URLField(help_text="The job's progress page in the app.")


class CampaignRemindSerializer(serializers.Serializer):
    invitation_ids = serializers.ListField(child=IdField(), required=False,
                                           help_text="Only these invitations; all unsigned when left out.")  # fmt: skip


class CampaignRemindResultSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Reminders queued now.")


@extend_schema_serializer(examples=[
    OpenApiExample("An invitation", response_only=True, value={
        "id": 880, "customer": 101, "customer_name": "Lumen Design SRL", "mandate": 4411,
        "mandate_reference": "MNDT-000412", "state": "opened", "stage": "opened",
        "signing_url": "https://collect.example/sign/4Vb…/", "reminders_sent": 1,
        "last_action_at": "2026-03-09T10:02:00Z", "email_bounced_at": None, "problem": "",
        "created_at": "2026-03-02T09:15:00Z"}),
])  # fmt: skip
class InvitationSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    mandate_reference = serializers.CharField(source="mandate.reference", read_only=True)
    state = serializers.CharField(source="mandate.state", read_only=True, help_text="The mandate's state.")
    stage = serializers.ChoiceField(choices=list(STAGE_LABELS), read_only=True, help_text="Funnel stage.")
    signing_url = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "customer", "customer_name", "mandate", "mandate_reference", "state", "stage", "signing_url",
                  "reminders_sent", "last_action_at", "email_bounced_at", "problem", "created_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_signing_url(self, invitation) -> str | None:
        """The debtor's link while the mandate waits for a signature; null otherwise (as on a mandate)."""
        if invitation.stage in ("signed", "declined", "ended"):
            return None
        return signing_link(invitation.mandate)
