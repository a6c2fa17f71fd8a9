from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from collect.api.bases import OrganizationScopedMixin
from organizations.models import Organization


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
        ]


class CurrentOrganizationView(OrganizationScopedMixin, APIView):
    """The organization this API key (or the X-Organization header) gives access to."""

    model = Organization

    @extend_schema(responses=OrganizationSerializer)
    def get(self, request):
        return Response(OrganizationSerializer(self.organization).data)
