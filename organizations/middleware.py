"""Resolve and authorize `request.organization` once, from the URL, for every HTML view."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login

from localized import context as localized_context
from organizations.selectors import organization_get_for_user

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
        # Times in the organization's zone, amounts and dates as its country writes them, for the whole page.
        localized_context.activate(country=request.organization.country, time_zone=request.organization.time_zone)
        if request.session.get(SESSION_KEY) != slug:
            request.session[SESSION_KEY] = slug
        return None
