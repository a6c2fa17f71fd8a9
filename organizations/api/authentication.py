"""`Authorization: Bearer <api key>` authentication for integrators."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from organizations.services import api_key_authenticate
from organizations.two_factor import owner_must_enrol, two_factor_enabled


class ApiKeyPrincipal:
    """`request.user` for API-key requests: authenticated, but not a person and never staff."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return f"API key {self.api_key.name}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as: Authorization: Bearer <key>."))
        api_key = api_key_authenticate(secret=header[1].decode(errors="replace"))
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("This API key is unknown or has been revoked."))
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "organizations.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "API key"}


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The browser session on the API, accepted only once its second factor (if any) was given."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if getattr(user, "is_verified", bool)():
            return result
        # A password-only session: refused when the user has a second factor, or owns an organization that
        # requires one and has not set it up yet (the pages send such owners to enrolment; the API cannot).
        if two_factor_enabled(user) or owner_must_enrol(user=user):
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    target_class = "organizations.api.authentication.VerifiedSessionAuthentication"
