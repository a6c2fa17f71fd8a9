"""Home, organization switcher and Configuration pages (organization, bank accounts, API keys); members are in
team_views.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from organizations.bank_accounts import bank_account_delete, bank_account_save, bank_accounts_list
from organizations.forms import ApiKeyForm, BankAccountForm, OrganizationForm
from organizations.middleware import SESSION_KEY
from organizations.models import ApiKey, BankAccount
from organizations.selectors import api_keys_list, organizations_for_user
from organizations.sender import (
    SenderVerificationError,
    organization_for_token,
    organization_sender_email_changed,
    organization_sender_verification_send,
    organization_sender_verify,
    sender_is_verified,
)
from organizations.services import api_key_create, api_key_revoke, log_action
from organizations.views_base import OrganizationView


@login_required
def home(request):
    """Open the organization used last, else the first one the user may open."""
    organizations = organizations_for_user(user=request.user)
    organization = organizations.filter(slug=request.session.get(SESSION_KEY)).first() or organizations.first()
    if organization is None:
        return render(request, "organizations/no_organization.html", status=403)
    return redirect("dashboard", organization_slug=organization.slug)


@method_decorator(login_required, name="dispatch")
class OrganizationSwitchView(View):
    def get(self, request):
        organization = organizations_for_user(user=request.user).filter(slug=request.GET.get("to", "")).first()
        if organization is None:
            raise Http404
        return redirect("dashboard", organization_slug=organization.slug)


class ConfigurationIndexView(OrganizationView):
    def get(self, request, organization_slug):
        return render(request, "organizations/configuration.html", {"nav": "configuration"})


class OrganizationSettingsView(OrganizationView):
    requires_configure = True
    fields_logged = OrganizationForm.Meta.fields

    def get(self, request, organization_slug):
        return self.render(OrganizationForm(instance=self.organization))

    def post(self, request, organization_slug):
        before = {name: getattr(self.organization, name) for name in self.fields_logged}
        form = OrganizationForm(request.POST, instance=self.organization)
        if not form.is_valid():
            return self.render(form, status=400)
        organization = form.save()
        organization_sender_email_changed(organization=organization, previous=before["sender_email"],
                                          actor=request.user)  # fmt: skip
        changes = {
            n: [before[n], getattr(organization, n)]
            for n in self.fields_logged
            if before[n] != getattr(organization, n)
        }
        if changes:
            log_action(
                organization=organization,
                subject=organization,
                code="organization.updated",
                actor=request.user,
                data={"changes": changes},
            )
        messages.success(request, _("Organization details saved."))
        if organization.sender_email and before["sender_email"].lower() != organization.sender_email.lower():
            messages.info(request, _("We sent a verification link to %(email)s.") % {
                "email": organization.sender_email})  # fmt: skip
        return redirect("configuration:organization", organization_slug=organization.slug)

    def render(self, form, status=200):
        return render(
            request=self.request,
            template_name="organizations/organization_form.html",
            context={"form": form, "nav": "configuration", "sender_verified": sender_is_verified(self.organization)},
            status=status,
        )


class ApiKeyListView(OrganizationView):
    requires_configure = True
    model = ApiKey

    def get(self, request, organization_slug):
        return self.render(ApiKeyForm())

    def post(self, request, organization_slug):
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        api_key, secret = api_key_create(
            organization=self.organization,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            actor=request.user,
        )
        return self.render(ApiKeyForm(), new_key=api_key, secret=secret)

    def render(self, form, status=200, **extra):
        context = {
            "form": form,
            "api_keys": api_keys_list(organization=self.organization),
            "nav": "configuration",
            **extra,
        }
        return render(self.request, "organizations/api_keys.html", context, status=status)


class ApiKeyRevokeView(OrganizationView):
    requires_configure = True
    model = ApiKey

    def post(self, request, organization_slug, pk):
        api_key = api_key_revoke(api_key=self.get_object(), actor=request.user)
        messages.success(
            request, _("The key “%(name)s” was revoked; requests with it now fail.") % {"name": api_key.name}
        )
        return HttpResponseRedirect(reverse("configuration:api-keys", kwargs={"organization_slug": organization_slug}))


class SenderVerificationSendView(OrganizationView):
    """Send the verification link for the sender address (again)."""

    requires_configure = True

    def post(self, request, organization_slug):
        if sender_is_verified(self.organization) or not self.organization.sender_email:
            messages.info(request, _("There is no unverified sender address to confirm."))
        else:
            organization_sender_verification_send(organization=self.organization, actor=request.user)
            messages.success(request, _("We sent a verification link to %(email)s.") % {
                "email": self.organization.sender_email})  # fmt: skip
        return redirect("configuration:organization", organization_slug=organization_slug)


class SenderVerifyView(View):
    """The link from the verification mail: whoever reads that mailbox confirms it (no login needed).

    Opening the link only shows a button; confirming is a POST, so a mail scanner that follows links
    verifies nothing by itself.
    """

    def get(self, request, token):
        try:
            organization = organization_for_token(token=token)
        except SenderVerificationError as error:
            return render(request, "organizations/sender_verify.html", {"error": str(error)}, status=400)
        return render(request, "organizations/sender_verify.html", {"sender": organization})

    def post(self, request, token):
        try:
            organization = organization_sender_verify(token=token)
        except SenderVerificationError as error:
            return render(request, "organizations/sender_verify.html", {"error": str(error)}, status=400)
        return render(request, "organizations/sender_verify.html", {"sender": organization, "verified": True})


def _form_errors_from(form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class BankAccountListView(OrganizationView):
    """The organization's bank accounts and a form to add one (owners and admins)."""

    requires_configure = True
    model = BankAccount

    def get(self, request, organization_slug):
        return self.render(BankAccountForm(initial={"currency": self.organization.currency}))

    def post(self, request, organization_slug):
        form = BankAccountForm(request.POST)
        if form.is_valid():
            try:
                account = bank_account_save(organization=self.organization, data=form.cleaned_data, actor=request.user)
            except ValidationError as error:
                _form_errors_from(form, error)
        if not form.is_valid():
            return self.render(form, status=400)
        messages.success(request, _("Bank account %(iban)s added.") % {"iban": account.iban_display})
        return redirect("configuration:bank-accounts", organization_slug=organization_slug)

    def render(self, form, status=200):
        context = {"form": form, "accounts": bank_accounts_list(organization=self.organization), "nav": "configuration"}
        return render(self.request, "organizations/bank_accounts.html", context, status=status)


class BankAccountEditView(OrganizationView):
    requires_configure = True
    model = BankAccount

    def get(self, request, organization_slug, pk):
        account = self.get_object()
        initial = {name: getattr(account, name) for name in ("currency", "bic", "holder_name", "is_default")}
        return self.render(account, BankAccountForm(initial={**initial, "iban": account.iban_display}))

    def post(self, request, organization_slug, pk):
        account = self.get_object()
        form = BankAccountForm(request.POST)
        if form.is_valid():
            try:
                bank_account_save(
                    organization=self.organization, account=account, data=form.cleaned_data, actor=request.user
                )
            except ValidationError as error:
                _form_errors_from(form, error)
        if not form.is_valid():
            return self.render(account, form, status=400)
        messages.success(request, _("Bank account saved."))
        return redirect("configuration:bank-accounts", organization_slug=organization_slug)

    def render(self, account, form, status=200):
        context = {"account": account, "form": form, "nav": "configuration"}
        return render(self.request, "organizations/bank_account_edit.html", context, status=status)


class BankAccountDeleteView(OrganizationView):
    """GET asks for confirmation; POST removes the account."""

    requires_configure = True
    model = BankAccount

    def get(self, request, organization_slug, pk):
        context = {"account": self.get_object(), "nav": "configuration"}
        return render(request, "organizations/bank_account_delete.html", context)

    def post(self, request, organization_slug, pk):
        account = self.get_object()
        bank_account_delete(account=account, actor=request.user)
        messages.success(request, _("Bank account %(iban)s removed.") % {"iban": account.iban_display})
        return redirect("configuration:bank-accounts", organization_slug=organization_slug)
