"""The team: invite members by e-mail, change their role and access, remove them.

Rules, checked here for the pages and the API alike:
- Only owners and admins manage the team (`Membership.can_configure`).
- Nobody grants more than they hold: not a higher role than their own, and an inviter limited to chosen
  organizations can only give access to (some of) those organizations (`grant_check`).
- An admin cannot change or remove an owner; the last owner stays an owner; nobody removes themselves.
- An invitation link is signed (TimestampSigner, its own salt) around a random 256-bit token whose SHA-256 hash is
  stored; it expires after INVITATION_VALID, works once (a conditional UPDATE claims it) and stops working when
  revoked or resent (a resend replaces the token).

The invitation e-mail goes out like the other account e-mails (sender verification, password reset): a plain
`EmailMessage` from the platform address, not the follow-up outbox.

Removing a member hands their work (customers they manage, open tasks) to the successors chosen in the dialog, in
the same transaction. The apps that own that work register a `MemberWork` (AppConfig.ready): this app sits below
them and imports none.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from organizations.models import InvitationStatus, MemberInvitation, Membership, Organization, Role
from organizations.services import Actor, log_action

SALT = "collect.organizations.member-invitation"
INVITATION_VALID = timedelta(days=7)
ROLE_RANK = {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}


class InvitationError(Exception):
    """The link cannot be used: forged, expired, already used, revoked or resent since."""


# Granting --------------------------------------------------------------------------------------------------


def _rank(role: str) -> int:
    return ROLE_RANK.get(role, -1)


def reachable_organizations(membership: Membership) -> QuerySet[Organization]:
    """The organizations of the tenant this membership opens."""
    tenant_organizations = Organization.objects.filter(tenant_id=membership.tenant_id)
    if membership.all_organizations:
        return tenant_organizations
    return tenant_organizations.filter(pk__in=membership.organizations.values("pk"))


def roles_grantable_by(granter: Membership) -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if _rank(value) <= _rank(granter.role)]


def grant_check(
    *, granter: Membership, role: str, all_organizations: bool, organizations: Iterable[Organization]
) -> None:
    """ValidationError when `granter` would give more than they hold (role or organizations)."""
    if not granter.can_configure:
        raise PermissionDenied(_("Only owners and admins manage the team."))
    errors: dict[str, list[str]] = {}
    if role not in ROLE_RANK:
        errors["role"] = [_("Choose owner, admin or member.")]
    elif _rank(role) > _rank(granter.role):
        errors["role"] = [_("You cannot give a role higher than your own.")]
    organizations = list(organizations)
    if any(organization.tenant_id != granter.tenant_id for organization in organizations):
        errors["organizations"] = [_("Choose organizations of your own team.")]
    elif not granter.all_organizations:
        mine = set(reachable_organizations(granter).values_list("pk", flat=True))
        if all_organizations or any(organization.pk not in mine for organization in organizations):
            errors["organizations"] = [_("You can only give access to the organizations you reach yourself.")]
    if not all_organizations and not organizations:
        errors.setdefault("organizations", [_("Choose at least one organization, or all of them.")])
    if errors:
        raise ValidationError(errors)


def _may_manage(*, manager: Membership, member: Membership) -> None:
    if not manager.can_configure:
        raise PermissionDenied(_("Only owners and admins manage the team."))
    if _rank(member.role) > _rank(manager.role):
        raise PermissionDenied(_("Only an owner can change or remove an owner."))
    if not manager.all_organizations:
        mine = set(reachable_organizations(manager).values_list("pk", flat=True))
        if member.all_organizations or not set(member.organizations.values_list("pk", flat=True)) <= mine:
            raise PermissionDenied(_("You can only change members whose organizations you reach yourself."))


def _owners_left(membership: Membership) -> int:
    return Membership.objects.filter(tenant_id=membership.tenant_id, role=Role.OWNER).exclude(pk=membership.pk).count()


def _organization_names(all_organizations: bool, organizations: Iterable[Organization]) -> str:
    return _("all") if all_organizations else ", ".join(sorted(o.name for o in organizations))


# Invitations -----------------------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    signed = signing.dumps(token, salt=SALT)
    return settings.SITE_URL.rstrip("/") + reverse("invitation-accept", args=[signed])


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def _email_taken(*, tenant_id: int, email: str) -> dict[str, list[str]]:
    if Membership.objects.filter(tenant_id=tenant_id, user__email__iexact=email).exists():
        return {"email": [_("%(email)s is already a member.") % {"email": email}]}
    if MemberInvitation.objects.filter(
        tenant_id=tenant_id, email__iexact=email, status=InvitationStatus.PENDING
    ).exists():
        return {"email": [_("%(email)s is already invited; resend that invitation instead.") % {"email": email}]}
    return {}


def invitation_create(
    *,
    organization: Organization,
    inviter: Membership,
    email: str,
    role: str,
    is_account_manager: bool,
    all_organizations: bool,
    organizations: Iterable[Organization] = (),
    actor: Actor,
) -> MemberInvitation:
    """Invite `email` to the tenant of `organization` and mail the link."""
    email = email.strip().lower()
    organizations = list(organizations)
    grant_check(granter=inviter, role=role, all_organizations=all_organizations, organizations=organizations)
    if errors := _email_taken(tenant_id=organization.tenant_id, email=email):
        raise ValidationError(errors)
    token, token_hash = _new_token()
    try:
        invitation = _invitation_insert(
            organization=organization,
            email=email,
            role=role,
            is_account_manager=is_account_manager,
            all_organizations=all_organizations,
            organizations=organizations,
            token_hash=token_hash,
            actor=actor,
        )
    except IntegrityError as error:  # the same address invited at the same moment by someone else
        raise ValidationError(_email_taken(tenant_id=organization.tenant_id, email=email)) from error
    _invitation_mail(invitation=invitation, token=token)
    return invitation


@transaction.atomic
def _invitation_insert(
    *,
    organization: Organization,
    email: str,
    role: str,
    is_account_manager: bool,
    all_organizations: bool,
    organizations: list[Organization],
    token_hash: str,
    actor: Actor,
) -> MemberInvitation:
    now = timezone.now()
    invitation = MemberInvitation.objects.create(
        tenant_id=organization.tenant_id,
        organization=organization,
        email=email,
        role=role,
        is_account_manager=is_account_manager,
        all_organizations=all_organizations,
        token_hash=token_hash,
        invited_by=actor if isinstance(actor, AbstractBaseUser) else None,
        sent_at=now,
        expires_at=now + INVITATION_VALID,
    )
    if not all_organizations:
        invitation.organizations.set(organizations)
    data = _invitation_data(invitation, organizations)
    log_action(organization=organization, subject=invitation, code="member.invited", actor=actor, data=data)
    return invitation


def _invitation_data(invitation: MemberInvitation, organizations: Iterable[Organization] | None = None) -> dict:
    if organizations is None:
        organizations = invitation.organizations.all()
    return {
        "email": invitation.email,
        "role": invitation.role,
        "is_account_manager": invitation.is_account_manager,
        "organizations": _organization_names(invitation.all_organizations, organizations),
    }


def _invitation_mail(*, invitation: MemberInvitation, token: str) -> None:
    """The link, from the platform address (like sender verification), in the organization's language."""
    organization = invitation.organization
    inviter = invitation.invited_by
    with override(organization.default_language):
        subject = _("You are invited to join %(organization)s on Collect") % {"organization": organization.name}
        body = _(
            "Hello,\n\n%(inviter)s invites you to work in %(organization)s on Collect as %(role)s.\n"
            "Open this link within %(days)s days to accept; you choose a password, or log in if you already have "
            "an account:\n\n%(link)s\n\nThe link works once. If you did not expect this message, ignore it."
        ) % {
            "inviter": (inviter.get_full_name() or inviter.email) if inviter else organization.name,
            "organization": organization.name,
            "role": invitation.get_role_display().lower(),
            "days": INVITATION_VALID.days,
            "link": invitation_url(token),
        }
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[invitation.email])
    message.metadata = {"organization_id": organization.pk, "purpose": "member_invitation"}
    message.send()


def _pending_for_update(invitation: MemberInvitation) -> MemberInvitation:
    locked = MemberInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.status != InvitationStatus.PENDING:
        raise ValidationError(_("This invitation was already accepted or revoked."))
    return locked


def invitation_resend(
    *, invitation: MemberInvitation, organization: Organization, manager: Membership, actor: Actor
) -> MemberInvitation:
    """A new link (the earlier one stops working) valid for INVITATION_VALID from now."""
    grant_check(
        granter=manager,
        role=invitation.role,
        all_organizations=invitation.all_organizations,
        organizations=invitation.organizations.all(),
    )
    token, token_hash = _new_token()
    with transaction.atomic():
        invitation = _pending_for_update(invitation)
        now = timezone.now()
        invitation.token_hash, invitation.sent_at, invitation.expires_at = token_hash, now, now + INVITATION_VALID
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        log_action(
            organization=organization,
            subject=invitation,
            code="member.invitation_resent",
            actor=actor,
            data={"email": invitation.email},
        )
    _invitation_mail(invitation=invitation, token=token)
    return invitation


@transaction.atomic
def invitation_revoke(
    *, invitation: MemberInvitation, organization: Organization, manager: Membership, actor: Actor
) -> MemberInvitation:
    grant_check(
        granter=manager,
        role=invitation.role,
        all_organizations=invitation.all_organizations,
        organizations=invitation.organizations.all(),
    )
    invitation = _pending_for_update(invitation)
    invitation.status, invitation.revoked_at = InvitationStatus.REVOKED, timezone.now()
    invitation.save(update_fields=["status", "revoked_at"])
    log_action(
        organization=organization,
        subject=invitation,
        code="member.invitation_revoked",
        actor=actor,
        data={"email": invitation.email},
    )
    return invitation


def invitation_for_link(*, signed_token: str) -> MemberInvitation:
    """The pending, unexpired invitation of this link; InvitationError (one message for every reason) otherwise."""
    invalid = InvitationError(_("This invitation link is not valid any more. Ask for a new invitation."))
    try:
        token = signing.loads(signed_token, salt=SALT, max_age=INVITATION_VALID)
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature
        raise invalid from error
    invitation = (
        MemberInvitation.objects.select_related("organization", "tenant", "invited_by")
        .filter(token_hash=_hash(str(token)))
        .first()
    )
    if invitation is None or invitation.status != InvitationStatus.PENDING or invitation.expires_at <= timezone.now():
        raise invalid
    return invitation


def user_for_invitation(invitation: MemberInvitation) -> AbstractBaseUser | None:
    return get_user_model().objects.filter(email__iexact=invitation.email).first()


@transaction.atomic
def invitation_accept(*, signed_token: str, user: AbstractBaseUser) -> Membership:
    """`user` (whose e-mail address the invitation names) joins with the invitation's role and access."""
    invitation = invitation_for_link(signed_token=signed_token)
    if user.email.lower() != invitation.email.lower():
        raise InvitationError(
            _("This invitation is for %(email)s. Log out and open the link again.") % {"email": invitation.email}
        )
    if Membership.objects.filter(tenant_id=invitation.tenant_id, user=user).exists():
        raise InvitationError(_("You are already a member of this team."))
    now = timezone.now()
    # The claim: of two clicks at once, one changes the row; the other finds it no longer pending.
    claimed = MemberInvitation.objects.filter(
        pk=invitation.pk, status=InvitationStatus.PENDING, token_hash=invitation.token_hash, expires_at__gt=now
    ).update(status=InvitationStatus.ACCEPTED, accepted_at=now, accepted_by=user)
    if claimed != 1:
        raise InvitationError(_("This invitation link is not valid any more. Ask for a new invitation."))
    membership = Membership.objects.create(
        tenant_id=invitation.tenant_id,
        user=user,
        role=invitation.role,
        is_account_manager=invitation.is_account_manager,
        all_organizations=invitation.all_organizations,
    )
    if not invitation.all_organizations:
        membership.organizations.set(invitation.organizations.all())
    log_action(
        organization=invitation.organization,
        subject=membership,
        code="member.joined",
        actor=user,
        data={"email": user.email, "role": membership.role},
    )
    return membership


@transaction.atomic
def invitation_accept_new_user(*, signed_token: str, first_name: str, last_name: str, password: str) -> Membership:
    """No account with the invited address yet: create it with this password, then accept."""
    invitation = invitation_for_link(signed_token=signed_token)
    if user_for_invitation(invitation) is not None:
        raise InvitationError(_("An account with this address exists: log in to accept the invitation."))
    user = get_user_model().objects.create_user(
        email=invitation.email,
        password=password,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        language=invitation.organization.default_language,
    )
    return invitation_accept(signed_token=signed_token, user=user)


# Members ---------------------------------------------------------------------------------------------------


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    organization: Organization,
    manager: Membership,
    role: str,
    is_account_manager: bool,
    all_organizations: bool,
    organizations: Iterable[Organization] = (),
    actor: Actor,
) -> Membership:
    """Change a member's role, account-manager status and organizations; logged with what changed."""
    _may_manage(manager=manager, member=membership)
    organizations = list(organizations)
    grant_check(granter=manager, role=role, all_organizations=all_organizations, organizations=organizations)
    if membership.role == Role.OWNER and role != Role.OWNER and not _owners_left(membership):
        raise ValidationError({"role": [_("The team needs an owner: make someone else owner first.")]})
    before = {
        "role": membership.role,
        "is_account_manager": membership.is_account_manager,
        "organizations": _organization_names(membership.all_organizations, membership.organizations.all()),
    }
    membership.role, membership.is_account_manager = role, is_account_manager
    membership.all_organizations = all_organizations
    membership.save(update_fields=["role", "is_account_manager", "all_organizations"])
    membership.organizations.set([] if all_organizations else organizations)
    after = {
        "role": role,
        "is_account_manager": is_account_manager,
        "organizations": _organization_names(all_organizations, organizations),
    }
    changes = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if changes:
        log_action(
            organization=organization,
            subject=membership,
            code="member.updated",
            actor=actor,
            data={"email": membership.user.email, "changes": changes},
        )
    return membership


@dataclass(frozen=True)
class MemberWork:
    """Work a member holds that must go to someone else when they leave (their customers, their open tasks).

    `count(membership)` says how much; `successors(membership, organization)` who may take it over;
    `hand_over(membership=, successor=, actor=)` moves it (successor None: nobody) and returns how many moved.
    """

    name: str
    label: Any
    count: Callable[[Membership], int]
    successors: Callable[[Membership, Organization], QuerySet[Membership]]
    hand_over: Callable[..., int]
    nobody_label: Any = None


MEMBER_WORK: dict[str, MemberWork] = {}


def register_member_work(work: MemberWork) -> None:
    MEMBER_WORK[work.name] = work


def member_removal_check(*, membership: Membership, manager: Membership) -> None:
    _may_manage(manager=manager, member=membership)
    if membership.pk == manager.pk:
        raise PermissionDenied(_("You cannot remove yourself; ask another owner or admin."))
    if membership.role == Role.OWNER and not _owners_left(membership):
        raise PermissionDenied(_("The team needs an owner: make someone else owner first."))


@transaction.atomic
def member_remove(
    *,
    membership: Membership,
    organization: Organization,
    manager: Membership,
    successors: dict[str, Membership | None],
    actor: Actor,
) -> dict[str, int]:
    """Hand each kind of work to its chosen successor, then end the membership. Returns how much moved."""
    member_removal_check(membership=membership, manager=manager)
    moved: dict[str, int] = {}
    for name, work in MEMBER_WORK.items():
        successor = successors.get(name)
        if successor is not None and not work.successors(membership, organization).filter(pk=successor.pk).exists():
            raise ValidationError({name: [_("Choose someone from the list.")]})
        moved[name] = work.hand_over(membership=membership, successor=successor, actor=actor)
    data: dict[str, Any] = {"email": membership.user.email, "role": membership.role, **moved}
    for name, successor in successors.items():
        data[f"{name}_to"] = str(successor.user) if successor else None
    log_action(organization=organization, subject=membership, code="member.removed", actor=actor, data=data)
    membership.delete()
    return moved
