"""/api/v1/campaigns/: campaigns, inviting customers (a background job), their invitations, reminders."""

from __future__ import annotations

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns.api.serializers import (
    CampaignInviteJobSerializer,
    CampaignInviteSerializer,
    CampaignRemindResultSerializer,
    CampaignRemindSerializer,
    CampaignSerializer,
    InvitationSerializer,
)
from campaigns.bulk_actions import INVITE_TO_SIGN
from campaigns.models import Campaign, CampaignStatus
from campaigns.selectors import STAGE_LABELS, campaigns_with_progress, invitations_for_campaign
from campaigns.services import CampaignError, campaign_close, campaign_create, campaign_remind, campaign_rename
from customers.filters import CustomerFilter
from customers.jobs import bulk_job_create
from customers.models import Customer
from organizations.api.bases import OrganizationScopedViewSet


class CampaignViewSet(OrganizationScopedViewSet):
    """Campaigns of invitations to sign a SEPA mandate under one profile, followed as a funnel."""

    model = Campaign
    serializer_class = CampaignSerializer

    def scope_queryset(self, queryset):
        return campaigns_with_progress(organization=self.organization).filter(pk__in=queryset.values("pk"))

    def perform_create(self, serializer):
        try:
            campaign = campaign_create(organization=self.organization, actor=self.actor, **serializer.validated_data)
        except CampaignError as error:
            raise serializers.ValidationError({"name": [str(error)]}) from error
        serializer.instance = self.get_queryset().get(pk=campaign.pk)

    def perform_update(self, serializer):
        name = serializer.validated_data.get("name", serializer.instance.name)
        try:
            campaign_rename(campaign=serializer.instance, name=name, actor=self.actor)
        except CampaignError as error:
            raise serializers.ValidationError({"name": [str(error)]}) from error
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the campaign: no more invitations or reminders; links already sent work until they expire."""
        campaign = campaign_close(campaign=self.get_object(), actor=self.actor)
        return Response(self.get_serializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(request=CampaignInviteSerializer, responses={202: CampaignInviteJobSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite customers, by id or by the customer list's filters, in a background job (202 + the job)."""
        campaign = self.get_object()  # first: a foreign id is a 404, whatever the body says
        serializer = CampaignInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if campaign.status != CampaignStatus.OPEN:
            message = _("The campaign “%(name)s” is closed.") % {"name": campaign.name}
            raise serializers.ValidationError({"campaign": [message]})
        data = serializer.validated_data
        filter_query = ""
        if "filters" in data:
            query = QueryDict(mutable=True)
            query.update(data["filters"])
            filterset = CustomerFilter(query, queryset=Customer.objects.filter(organization=self.organization),
                                       organization=self.organization)  # fmt: skip
            if not filterset.is_valid():
                raise serializers.ValidationError({"filters": filterset.errors})
            filter_query = query.urlencode()
        params = {"profile": campaign.profile_id, "campaign": campaign.pk, "campaign_name": "",
                  "include_signed": data["include_signed"]}  # fmt: skip
        job = bulk_job_create(
            organization=self.organization, action=INVITE_TO_SIGN.name, params=params,
            ids=data.get("customer_ids", []), filter_query=filter_query, select_all="filters" in data,
            actor=self.actor,
        )  # fmt: skip
        url = request.build_absolute_uri(reverse("customers:job", args=[self.organization.slug, job.pk]))
        body = {"job": job.pk, "status": job.status, "total": job.total, "progress_url": url}
        return Response(CampaignInviteJobSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "stage", OpenApiTypes.STR, enum=list(STAGE_LABELS), description="Only invitations at this funnel stage."
            )
        ],  # fmt: skip
        responses=InvitationSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def invitations(self, request, pk=None):
        """The campaign's invitations: customer, mandate state, funnel stage and signing link."""
        campaign = self.get_object()
        queryset = invitations_for_campaign(campaign=campaign, stage=request.query_params.get("stage", ""))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(request=CampaignRemindSerializer, responses=CampaignRemindResultSerializer)
    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        """Queue a reminder now for every unsigned invitation (or those of `invitation_ids`)."""
        campaign = self.get_object()
        serializer = CampaignRemindSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            queued = campaign_remind(campaign=campaign, invitation_ids=serializer.validated_data.get("invitation_ids"),
                                     actor=self.actor)  # fmt: skip
        except CampaignError as error:
            raise serializers.ValidationError({"campaign": [str(error)]}) from error
        return Response({"queued": queued})
