"""Scoped API base classes: the organization is resolved and authorized once, and cannot be skipped.

- With an API key, the organization is the key's.
- With a session (the browser, the interactive docs), it is the `X-Organization` header's slug, else
  the organization last opened in the app; the user must have access to it.
Subclasses declare `model` and may narrow the queryset in `scope_queryset`; they never see rows of
another organization, so a foreign id and a missing id both give 404.
Every POST honours an `Idempotency-Key` header (organizations/api/idempotency.py), scoped to that organization.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer

from organizations.api.fields import IdRelatedField
from organizations.api.idempotency import idempotency_begin, replay_response
from organizations.idempotency import IdempotencyReplay
from organizations.middleware import SESSION_KEY
from organizations.models import ApiKey, Membership, Organization
from organizations.selectors import organization_get_for_user

ORGANIZATION_HEADER = "HTTP_X_ORGANIZATION"


def resolve_api_organization(request) -> tuple[Organization, Membership | None]:
    if isinstance(request.auth, ApiKey):
        return request.auth.organization, None
    slug = request.META.get(ORGANIZATION_HEADER) or request.session.get(SESSION_KEY)
    if not slug:
        raise Http404("Choose an organization with the X-Organization header.")
    return organization_get_for_user(user=request.user, slug=slug)


class OrganizationScopedMixin:
    model: type[Model]

    organization: Organization
    membership: Membership | None
    # Rows of the whole tenant (memberships, invitations) rather than of one organization: rooted in the tenant.
    tenant_scoped = False
    # What a member who may not change configuration is told (`require_configure`).
    configure_refusal = gettext_lazy("Only owners and admins can change this.")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.organization, self.membership = resolve_api_organization(request)
        request.organization = self.organization  # for filter sets, like HTML views have it
        request.membership = self.membership  # "mine" filters: None for an API key
        idempotency_begin(self, request)

    def handle_exception(self, exc):
        if isinstance(exc, IdempotencyReplay):
            return replay_response(exc.record)
        response = super().handle_exception(exc)
        # An error has one form, JSON, even when the client asked for a PDF or an image.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def get_queryset(self) -> QuerySet:
        """Final: rows of the resolved organization only. Override `scope_queryset` to narrow further."""
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no organization
            return self.model._default_manager.none()
        if self.tenant_scoped:
            queryset = self.model._default_manager.filter(tenant_id=self.organization.tenant_id)
        else:
            queryset = self.model._default_manager.filter(organization=self.organization)
        return self.scope_queryset(queryset)

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["organization"] = getattr(self, "organization", None)
        return context

    def require_configure(self) -> None:
        """Configuration is for owners and admins (or a read-write API key, which only they can create)."""
        if self.membership is not None and not self.membership.can_configure:
            raise PermissionDenied(self.configure_refusal)

    @property
    def actor(self):
        """Who is acting, for the activity log: the API key, or the logged-in user."""
        return self.request.auth if isinstance(self.request.auth, ApiKey) else self.request.user


class OrganizationScopedViewSet(
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create and update inside one organization. No delete: records keep history."""


class OrganizationScopedSerializer(serializers.ModelSerializer):
    """Narrows every related field to the request's organization (or its tenant, for members); related ids are
    bounded (an id beyond 64 bits is unknown, not a database overflow)."""

    serializer_related_field = IdRelatedField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization = self.context.get("organization")
        for field in self.fields.values():
            related = getattr(field, "child_relation", field)
            queryset = getattr(related, "queryset", None)
            if queryset is None:
                continue
            related.queryset = scope_related_queryset(queryset, organization)


def scope_related_queryset(queryset: QuerySet, organization: Organization | None) -> QuerySet:
    if organization is None:
        return queryset.none()
    names = {f.name for f in queryset.model._meta.get_fields()}
    if "organization" in names:
        return queryset.filter(organization=organization)
    if "tenant" in names:
        return queryset.filter(tenant_id=organization.tenant_id)
    return queryset.none()
