"""Configuration > Members: the team, invitations, a member's access, removing a member; and the invitation link."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from organizations.forms import AcceptInvitationForm, InviteForm, MemberAccessForm
from organizations.models import InvitationStatus, MemberInvitation, Membership, Organization
from organizations.ratelimit import allow, client_ip
from organizations.selectors import members_list, team_activity
from organizations.team import (
    MEMBER_WORK,
    InvitationError,
    invitation_accept,
    invitation_accept_new_user,
    invitation_create,
    invitation_for_link,
    invitation_resend,
    invitation_revoke,
    member_removal_check,
    member_remove,
    member_update,
    user_for_invitation,
)
from organizations.views_base import OrganizationView

INVITATION_LINKS_PER_IP = 30  # link openings and form posts per address and window
INVITATION_WINDOW = 600  # seconds
ORGANIZATIONS_ORDERED = Prefetch("organizations", queryset=Organization.objects.order_by("name"))


def _form_errors_from(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class MembersView(OrganizationView):
    """Who works in the organization, pending invitations, the invite form and the team's recent changes."""

    requires_configure = True

    def get(self, request, organization_slug):
        return self.render(InviteForm(granter=self.membership))

    def post(self, request, organization_slug):
        form = InviteForm(request.POST, granter=self.membership)
        if form.is_valid():
            try:
                invitation = invitation_create(
                    organization=self.organization,
                    inviter=self.membership,
                    email=form.cleaned_data["email"],
                    actor=request.user,
                    **form.access(),
                )
            except ValidationError as error:
                _form_errors_from(form, error)
        if not form.is_valid():
            return self.render(form, status=400)
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("configuration:members", organization_slug=organization_slug)

    def render(self, form, status=200):
        members = members_list(organization=self.organization).prefetch_related(ORGANIZATIONS_ORDERED)
        invitations = (
            MemberInvitation.objects.filter(tenant_id=self.organization.tenant_id, status=InvitationStatus.PENDING)
            .select_related("invited_by")
            .prefetch_related(ORGANIZATIONS_ORDERED)
        )
        context = {
            "members": members,
            "invitations": invitations,
            "form": form,
            "activity": team_activity(organization=self.organization)[:20],
            "nav": "configuration",
        }
        return render(self.request, "organizations/members.html", context, status=status)


class MemberObjectView(OrganizationView):
    """A member who reaches this organization; anyone else (another tenant's too) is not found."""

    requires_configure = True
    model = Membership

    def scoped(self):
        return members_list(organization=self.organization).select_related("user")


class MemberEditView(MemberObjectView):
    def get(self, request, organization_slug, pk):
        member = self.get_object()
        initial = {
            "role": member.role,
            "is_account_manager": member.is_account_manager,
            "all_organizations": member.all_organizations,
            "organizations": list(member.organizations.all()),
        }
        return self.render(member, MemberAccessForm(initial=initial, granter=self.membership))

    def post(self, request, organization_slug, pk):
        member = self.get_object()
        form = MemberAccessForm(request.POST, granter=self.membership)
        if form.is_valid():
            try:
                member_update(
                    membership=member,
                    organization=self.organization,
                    manager=self.membership,
                    actor=request.user,
                    **form.access(),
                )
            except ValidationError as error:
                _form_errors_from(form, error)
        if not form.is_valid():
            return self.render(member, form, status=400)
        messages.success(request, _("%(name)s's access saved.") % {"name": member.user})
        return redirect("configuration:members", organization_slug=organization_slug)

    def render(self, member, form, status=200):
        context = {"member": member, "form": form, "nav": "configuration"}
        return render(self.request, "organizations/member_edit.html", context, status=status)


def successors_form(*, member: Membership, organization: Organization, data=None) -> forms.Form:
    """One choice per kind of work the member holds (customers, open tasks): who takes it over."""
    form = forms.Form(data)
    for name, work in MEMBER_WORK.items():
        field = forms.ModelChoiceField(
            label=work.label,
            queryset=work.successors(member, organization).select_related("user"),
            required=False,
            empty_label=work.nobody_label,
        )
        field.label_from_instance = lambda membership: str(membership.user)
        field.held = work.count(member)
        form.fields[name] = field
    return form


class MemberRemoveView(MemberObjectView):
    """GET: the confirmation dialog, with who takes over the member's customers and open tasks. POST: remove."""

    def get(self, request, organization_slug, pk):
        member = self.get_object()
        return self.render(member, successors_form(member=member, organization=self.organization))

    def post(self, request, organization_slug, pk):
        member = self.get_object()
        form = successors_form(member=member, organization=self.organization, data=request.POST)
        if form.is_valid():
            try:
                member_remove(
                    membership=member,
                    organization=self.organization,
                    manager=self.membership,
                    successors=form.cleaned_data,
                    actor=request.user,
                )
            except ValidationError as error:
                _form_errors_from(form, error)
        if not form.is_valid():
            return self.render(member, form, status=400)
        messages.success(request, _("%(name)s was removed from the team.") % {"name": member.user})
        return redirect("configuration:members", organization_slug=organization_slug)

    def render(self, member, form, status=200):
        refusal = None
        try:
            member_removal_check(membership=member, manager=self.membership)
        except PermissionDenied as error:
            refusal = str(error)
        fields = [form[name] for name in form.fields]
        context = {"member": member, "form": form, "fields": fields, "refusal": refusal, "nav": "configuration"}
        return render(self.request, "organizations/member_remove.html", context, status=status)


class InvitationObjectView(OrganizationView):
    requires_configure = True
    model = MemberInvitation

    def scoped(self):
        return MemberInvitation.objects.filter(tenant_id=self.organization.tenant_id)

    def act(self, service, done_message: str):
        invitation = self.get_object()
        try:
            service(
                invitation=invitation, organization=self.organization, manager=self.membership, actor=self.request.user
            )
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
        else:
            messages.success(self.request, done_message % {"email": invitation.email})
        return redirect("configuration:members", organization_slug=self.organization.slug)


class InvitationResendView(InvitationObjectView):
    def post(self, request, organization_slug, pk):
        return self.act(invitation_resend, _("A new link was sent to %(email)s; the earlier one no longer works."))


class InvitationRevokeView(InvitationObjectView):
    def post(self, request, organization_slug, pk):
        return self.act(invitation_revoke, _("The invitation of %(email)s was revoked."))


class InvitationAcceptView(View):
    """The link from the invitation mail. A new person sets a name and password; someone with an account logs in
    (the login page brings them back here) and confirms. Either way they land in the app."""

    template = "organizations/invitation_accept.html"

    def get(self, request, token):
        return self.handle(request, token, data=None)

    def post(self, request, token):
        return self.handle(request, token, data=request.POST)

    def handle(self, request, token, data):
        # Guessing links from one address: answered before the token is looked at.
        if not allow(
            scope="invitation-ip",
            key=client_ip(request) or "unknown",
            limit=INVITATION_LINKS_PER_IP,
            window=INVITATION_WINDOW,
        ):
            return self.render(
                {"error": _("Too many attempts. Wait a few minutes and open the link again.")}, status=429
            )
        try:
            invitation = invitation_for_link(signed_token=token)
        except InvitationError as error:
            return self.render({"error": str(error)}, status=400)
        existing = user_for_invitation(invitation)
        context = {"invitation": invitation, "existing": existing}
        if request.user.is_authenticated:
            if request.user.email.lower() != invitation.email.lower():
                return self.render({**context, "other_user": True})
            if data is None:
                return self.render(context)
            return self.accept(request, lambda: invitation_accept(signed_token=token, user=request.user), context)
        if existing is not None:
            return self.render(context)
        form = AcceptInvitationForm(data, email=invitation.email)
        if data is None or not form.is_valid():
            return self.render({**context, "form": form}, status=200 if data is None else 400)
        data = form.cleaned_data
        return self.accept(
            request,
            lambda: invitation_accept_new_user(
                signed_token=token,
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
            ),
            context,
        )

    def accept(self, request, service, context):
        try:
            membership = service()
        except InvitationError as error:
            return self.render({**context, "error": str(error)}, status=400)
        if not request.user.is_authenticated:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(team)s.") % {"team": membership.tenant.name})
        return redirect("home")

    def render(self, context, status=200):
        response = render(self.request, self.template, context, status=status)
        # The token is in the URL: keep it out of caches and out of Referer headers to other sites ("no-referrer"
        # would make browsers send `Origin: null` with the form, which the CSRF check refuses).
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "same-origin"
        return response
