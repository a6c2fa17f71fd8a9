"""Base classes for HTML views inside an organization (URLs under /o/<organization_slug>/).

OrganizationMiddleware has already resolved and authorized `request.organization`. Views declare
`model`; objects are looked up inside the organization, so a foreign id gives 404 like a missing one.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.views import View


class OrganizationView(View):
    model: type[Model] | None = None
    requires_configure = False  # only owners and admins

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "organization", None) is None:
            raise Http404
        if self.requires_configure and not request.membership.can_configure:
            raise PermissionDenied
        self.organization = request.organization
        self.membership = request.membership
        return super().dispatch(request, *args, **kwargs)

    def scoped(self) -> QuerySet:
        return self.model._default_manager.filter(organization=self.organization)

    def get_object(self, pk_kwarg: str = "pk"):
        try:
            return self.scoped().get(pk=self.kwargs[pk_kwarg])
        except (self.model.DoesNotExist, ValueError) as exc:
            raise Http404 from exc

    def org_url_kwargs(self, **kwargs) -> dict:
        return {"organization_slug": self.organization.slug, **kwargs}
