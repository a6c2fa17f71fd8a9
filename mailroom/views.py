"""Outgoing mail of the organization, as it was sent (the embedded default keeps it in the database)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from mailroom.backends import html_with_inline_images
from mailroom.models import StoredEmail
from organizations.views_base import OrganizationView


class StoredEmailListView(OrganizationView):
    model = StoredEmail

    def get(self, request, organization_slug):
        page = Paginator(self.scoped().order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
        return render(
            request,
            "mailroom/list.html",
            {"page_obj": page, "emails": page.object_list, "nav": "configuration"},
        )


class StoredEmailDetailView(OrganizationView):
    model = StoredEmail

    def get(self, request, organization_slug, pk):
        email = self.get_object()
        html = html_with_inline_images(email.html_body, email.attachments)
        return render(request, "mailroom/detail.html", {"email": email, "html": html, "nav": "configuration"})
