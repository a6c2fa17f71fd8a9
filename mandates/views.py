"""Staff pages: mandate profiles (Configuration > Mandates), the mandates list and a mandate's page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers.models import Customer
from mandates.forms import MandateProfileForm, PrepareForm, ReasonForm
from mandates.links import signing_url
from mandates.models import Mandate, MandateDocument, MandateProfile, MandateState
from mandates.selectors import MandateFilter, profiles_with_counts
from mandates.services import (
    PROFILE_FIELDS,
    MandateError,
    mandate_cancel,
    mandate_prepare,
    mandate_reactivate,
    mandate_suspend,
    profile_save,
    profile_set_archived,
)
from mandates.states import AWAITING_SIGNATURE, TransitionError
from organizations.selectors import activity_for
from organizations.views_base import OrganizationView

PAGE_SIZE = 50


class ProfileListView(OrganizationView):
    model = MandateProfile

    def get(self, request, organization_slug):
        profiles = profiles_with_counts(organization=self.organization)
        return render(request, "mandates/profile_list.html", {"profiles": profiles, "nav": "configuration"})


class ProfileEditView(OrganizationView):
    """Everyone may read a profile; owners and admins change it."""

    model = MandateProfile

    def get(self, request, organization_slug, pk=None):
        if pk is None and not self.membership.can_configure:
            raise PermissionDenied
        profile = self.get_object() if pk else None
        initial = None if profile else {"creditor_name": self.organization.name,
                                        "creditor_country": self.organization.country}  # fmt: skip
        return self.render(MandateProfileForm(instance=profile, initial=initial, organization=self.organization),
                           profile)  # fmt: skip

    def post(self, request, organization_slug, pk=None):
        if not self.membership.can_configure:
            raise PermissionDenied
        profile = self.get_object() if pk else None
        form = MandateProfileForm(request.POST, instance=profile, organization=self.organization)
        if not form.is_valid():
            return self.render(form, profile, status=400)
        data = {name: form.cleaned_data[name] for name in PROFILE_FIELDS}
        profile = profile_save(organization=self.organization, profile=profile and self.get_object(), data=data,
                               actor=request.user)  # fmt: skip
        messages.success(request, _("Mandate profile saved."))
        return redirect("mandate_profiles:edit", organization_slug=organization_slug, pk=profile.pk)

    def render(self, form, profile, status=200):
        context = {"form": form, "profile": profile, "nav": "configuration"}
        return render(self.request, "mandates/profile_form.html", context, status=status)


class ProfileArchiveView(OrganizationView):
    model = MandateProfile
    requires_configure = True

    def post(self, request, organization_slug, pk):
        profile = self.get_object()
        archived = request.POST.get("archived", "1") == "1"
        profile_set_archived(profile=profile, archived=archived, actor=request.user)
        messages.success(request, _("Profile archived.") if archived else _("Profile restored."))
        return redirect("mandate_profiles:list", organization_slug=organization_slug)


class MandateListView(OrganizationView):
    model = Mandate

    def get(self, request, organization_slug):
        base = self.scoped().select_related("customer", "profile")
        filterset = MandateFilter(request.GET, queryset=base)
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "page_obj": page, "mandates": page.object_list, "filter": filterset, "query": query.urlencode(),
            "states": MandateState.choices, "profiles": MandateProfile.objects.filter(organization=self.organization),
            "selected_states": request.GET.getlist("state"), "filtered": bool(query), "nav": "mandates",
        }  # fmt: skip
        return render(request, "mandates/mandate_list.html", context)


class MandateDetailView(OrganizationView):
    model = Mandate

    def get(self, request, organization_slug, pk):
        mandate = self.get_object()
        context = {
            "mandate": mandate, "profile": mandate.profile, "customer": mandate.customer,
            "document": MandateDocument.objects.filter(organization=self.organization, mandate=mandate)
            .only("id", "sha256", "created_at").first(),
            "signing_url": signing_url(mandate) if mandate.state in AWAITING_SIGNATURE else "",
            "activity": activity_for(organization=self.organization, subject=mandate)[:200],
            "can_suspend": mandate.state == MandateState.SIGNED,
            "can_reactivate": mandate.state == MandateState.SUSPENDED,
            "can_cancel": mandate.state not in (MandateState.CANCELLED, MandateState.EXPIRED),
            "reason_form": ReasonForm(), "nav": "mandates",
        }  # fmt: skip
        return render(request, "mandates/mandate_detail.html", context)


class MandateActionView(OrganizationView):
    """Cancel (with a reason), suspend or reactivate, after the confirmation on the mandate page."""

    model = Mandate
    action = ""

    def post(self, request, organization_slug, pk):
        mandate = self.get_object()
        form = ReasonForm(request.POST)
        try:
            if self.action == "cancel":
                mandate_cancel(mandate=mandate, reason=form.data.get("reason", ""), actor=request.user)
                messages.success(request, _("Mandate cancelled."))
            elif self.action == "suspend":
                mandate_suspend(mandate=mandate, reason=form.data.get("reason", ""), actor=request.user)
                messages.success(request, _("Mandate suspended: it will not be used for collections."))
            else:
                mandate_reactivate(mandate=mandate, actor=request.user)
                messages.success(request, _("Mandate reactivated."))
        except (MandateError, TransitionError) as error:
            messages.error(request, str(error))
        return redirect("mandates:detail", organization_slug=organization_slug, pk=mandate.pk)


class MandatePdfView(OrganizationView):
    model = Mandate

    def get(self, request, organization_slug, pk):
        mandate = self.get_object()
        document = MandateDocument.objects.filter(organization=self.organization, mandate=mandate).first()
        if document is None:
            raise Http404
        return pdf_response(document, mandate)


def pdf_response(document: MandateDocument, mandate: Mandate) -> HttpResponse:
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="mandate-{mandate.reference}.pdf"'
    return response


class MandatePrepareView(OrganizationView):
    """Prepare a mandate for one customer (from the customer page): a reference and a signing link."""

    model = Customer

    def get(self, request, organization_slug, pk):
        return self.render(PrepareForm(organization=self.organization), self.get_object())

    def post(self, request, organization_slug, pk):
        customer = self.get_object()
        form = PrepareForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.render(form, customer, status=400)
        try:
            mandate = mandate_prepare(organization=self.organization, customer=customer,
                                      profile=form.cleaned_data["profile"], actor=request.user)  # fmt: skip
        except MandateError as error:
            for message in [m for messages_ in error.errors.values() for m in messages_]:
                form.add_error(None, message)
            return self.render(form, customer, status=400)
        messages.success(request, _("Mandate prepared: send the signing link to the customer."))
        return redirect("mandates:detail", organization_slug=organization_slug, pk=mandate.pk)

    def render(self, form, customer, status=200):
        context = {"form": form, "customer": customer, "nav": "mandates"}
        return render(self.request, "mandates/prepare.html", context, status=status)
