from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from organizations.models import ApiKey


class OrganizationAccess(permissions.BasePermission):
    """Authenticated by key or session; read-only keys may not change anything.

    Which organization is reached is resolved by OrganizationScopedMixin, once per request.
    """

    message = _("This API key is read-only.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if isinstance(request.auth, ApiKey) and request.method not in permissions.SAFE_METHODS:
            return request.auth.can_write
        return True
