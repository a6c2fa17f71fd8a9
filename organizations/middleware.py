"""Resolve and authorize `request.organization` once, from the URL, for every HTML view."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from localized import context as localized_context
from organizations.models import Role
from organizations.selectors import organization_get_for_user
from organizations.two_factor import two_factor_enabled

SESSION_KEY = "organization_slug"
URL_KWARG = "organization_slug"


class OrganizationMiddleware:
    """Views under /o/<organization_slug>/ get `request.organization` and `request.membership`.

    An anonymous visitor is sent to the login page; a user without access gets 404, the same answer as
    for an organization that does not exist, so slugs of other tenants cannot be probed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        try:
            return self.get_response(request)
        finally:
            localized_context.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get(URL_KWARG)
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.organization, request.membership = organization_get_for_user(user=request.user, slug=slug)
        if _is_configuration(request) and not request.membership.can_configure:
            # Settings are for owners and admins: members see none of them (Upflow's "Member" role).
            raise PermissionDenied
        # Times in the organization's zone, amounts and dates as its country writes them, for the whole page.
        localized_context.activate(country=request.organization.country, time_zone=request.organization.time_zone)
        if request.session.get(SESSION_KEY) != slug:
            request.session[SESSION_KEY] = slug
        return None


def _is_configuration(request) -> bool:
    """Pages under /o/<slug>/configuration/: organization, bank accounts, members, API keys, templates, …"""
    match = request.resolver_match
    return bool(match and f"<slug:{URL_KWARG}>/configuration/" in (match.route or ""))


# Pages an unverified session may still open: logging in and out, the code step, public pages.
OPEN_URL_NAMES = {
    "login",
    "logout",
    "two-factor-verify",
    "set_language",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",
    "sender-verify",
}
OPEN_PATH_PREFIXES = ("/api/", "/sign/", "/webhooks/", "/static/", "/i18n/")
# What an owner who must enrol may open besides those.
ENROLMENT_URL_NAMES = {"two-factor", "two-factor-setup", "two-factor-confirm"}


def _must_enrol(request) -> bool:
    organization = getattr(request, "organization", None)
    membership = getattr(request, "membership", None)
    return bool(
        organization is not None
        and organization.require_two_factor_for_owners
        and membership is not None
        and membership.role == Role.OWNER
    )


class TwoFactorMiddleware:
    """Holds a password-only session at the code step, and owners who must enrol at enrolment.

    Sits after OTPMiddleware (which sets `request.user.is_verified`) and OrganizationMiddleware
    (which resolves `request.organization` and `request.membership` in its process_view).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or request.path.startswith(OPEN_PATH_PREFIXES):
            return None
        url_name = request.resolver_match.url_name if request.resolver_match else None
        if url_name in OPEN_URL_NAMES:
            return None
        if user.is_verified():
            return None
        if two_factor_enabled(user):
            return redirect(f"{reverse('two-factor-verify')}?{urlencode({'next': request.get_full_path()})}")
        if url_name not in ENROLMENT_URL_NAMES and _must_enrol(request):
            return redirect(f"{reverse('two-factor')}?{urlencode({'next': request.get_full_path()})}")
        return None
