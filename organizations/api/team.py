"""The team through the API: members (read) and invitations (owners and admins: list, create, resend, revoke).

Members and invitations belong to the tenant; the API shows those who reach the organization the request is
for (members) or all of the tenant's (invitations), so another tenant's ids are not found. Invitations are sent
by a person: they need an owner's or admin's session (the grant rules compare with what that person holds); an
API key may read them.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from organizations.api.bases import OrganizationScopedMixin
from organizations.models import MemberInvitation, Membership, Organization, Role
from organizations.selectors import members_list
from organizations.team import invitation_create, invitation_resend, invitation_revoke


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    organizations = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Empty when `all_organizations` is true."
    )

    class Meta:
        model = Membership
        fields = ["id", "email", "name", "role", "is_account_manager", "all_organizations", "organizations"]
        read_only_fields = fields


class MemberFilter(django_filters.FilterSet):
    account_manager = django_filters.BooleanFilter(
        field_name="is_account_manager", help_text="true: account managers only (what `account_manager` fields accept)."
    )

    class Meta:
        model = Membership
        fields = ["account_manager", "role"]


class MemberViewSet(OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Members who reach this organization, with role and account-manager status. `?account_manager=true` lists
    account managers only (what account-manager fields accept)."""

    model = Membership
    tenant_scoped = True
    serializer_class = MemberSerializer
    filterset_class = MemberFilter

    def scope_queryset(self, queryset):
        return members_list(organization=self.organization).prefetch_related("organizations")


class MemberInvitationSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    organizations = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        queryset=Organization.objects.none(),
        required=False,
        help_text="Slugs of the organizations the member will reach when `all_organizations` is false.",
    )
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None, allow_null=True)

    class Meta:
        model = MemberInvitation
        fields = [
            "id",
            "email",
            "role",
            "is_account_manager",
            "all_organizations",
            "organizations",
            "status",
            "invited_by",
            "sent_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = ["status", "sent_at", "expires_at", "accepted_at", "revoked_at", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization = self.context.get("organization")
        if organization is not None:
            self.fields["organizations"].child_relation.queryset = Organization.objects.filter(
                tenant_id=organization.tenant_id
            )


class InvitationViewSet(
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Invitations to join the team (all statuses, newest first). Creating one mails a link valid 7 days that works
    once; nobody grants a higher role or more organizations than they hold."""

    model = MemberInvitation
    tenant_scoped = True
    serializer_class = MemberInvitationSerializer
    filterset_fields = ["status"]
    configure_refusal = _("Only owners and admins manage the team.")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.require_configure()

    def scope_queryset(self, queryset):
        return queryset.select_related("invited_by").prefetch_related("organizations")

    def _manager(self) -> Membership:
        if self.membership is None:
            raise PermissionDenied(_("Invitations are sent by an owner or admin, logged in; not with an API key."))
        return self.membership

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = invitation_create(
                organization=self.organization,
                inviter=self._manager(),
                email=data["email"],
                role=data["role"],
                is_account_manager=data.get("is_account_manager", False),
                all_organizations=data.get("all_organizations", True),
                organizations=data.get("organizations", []),
                actor=self.actor,
            )
        except DjangoValidationError as error:
            raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error

    def _act(self, service):
        invitation = self.get_object()
        try:
            invitation = service(
                invitation=invitation, organization=self.organization, manager=self._manager(), actor=self.actor
            )
        except DjangoValidationError as error:
            raise ApiValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error
        return Response(self.get_serializer(invitation).data)

    @extend_schema(request=None, responses=MemberInvitationSerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """A new link, valid 7 days from now; the earlier link stops working."""
        return self._act(invitation_resend)

    @extend_schema(request=None, responses=MemberInvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """The link stops working at once."""
        return self._act(invitation_revoke)
