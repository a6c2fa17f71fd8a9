"""Reads for tenancy: which organizations a user reaches, and with what membership."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404

from organizations.activity import activity_kind_filter
from organizations.models import ActivityLog, ApiKey, Membership, Organization


def organizations_for_user(*, user: AbstractBaseUser) -> QuerySet[Organization]:
    """Every organization the user may open, across their memberships."""
    if not user.is_authenticated:
        return Organization.objects.none()
    memberships = Membership.objects.filter(user=user)
    everything = memberships.filter(all_organizations=True).values("tenant_id")
    chosen = memberships.filter(all_organizations=False).values("organizations")
    return (
        Organization.objects.filter(tenant_id__in=everything) | Organization.objects.filter(pk__in=chosen)
    ).distinct()


def membership_for(*, user: AbstractBaseUser, organization: Organization) -> Membership | None:
    """The user's membership that grants access to `organization`, or None."""
    if not user.is_authenticated:
        return None
    membership = Membership.objects.filter(user=user, tenant_id=organization.tenant_id).first()
    if membership is None:
        return None
    if membership.all_organizations or membership.organizations.filter(pk=organization.pk).exists():
        return membership
    return None


def organization_get_for_user(*, user: AbstractBaseUser, slug: str) -> tuple[Organization, Membership]:
    """Look up and authorize in one step; a foreign and a missing organization both give 404."""
    organization = Organization.objects.select_related("tenant").filter(slug=slug).first()
    membership = membership_for(user=user, organization=organization) if organization else None
    if membership is None:
        raise Http404("No such organization.")
    return organization, membership


def api_keys_list(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization).select_related("created_by")


def activity_for(*, organization: Organization, subject) -> QuerySet[ActivityLog]:
    from django.contrib.contenttypes.models import ContentType

    return ActivityLog.objects.filter(
        organization=organization,
        subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        subject_id=subject.pk,
    ).select_related("actor_user", "organization")


def timeline_for_customer(*, organization: Organization, customer_id: int) -> QuerySet[ActivityLog]:
    """Everything about a customer: its own changes and those of its invoices, payments, mandates, messages."""
    entries = ActivityLog.objects.filter(organization=organization, related_customer_id=customer_id)
    return entries.select_related("actor_user", "subject_type", "organization").prefetch_related("subject")


def activity_of_kind(entries: QuerySet[ActivityLog], kind: str | None) -> QuerySet[ActivityLog]:
    """A timeline narrowed to one kind (messages, payments, notes, tasks, changes); all for none or an unknown one."""
    condition = activity_kind_filter(kind or "")
    return entries if condition is None else entries.filter(condition)


def members_list(*, organization: Organization) -> QuerySet[Membership]:
    """Members of the organization's tenant who can reach it."""
    return (
        Membership.objects.filter(tenant_id=organization.tenant_id)
        .filter(Q(all_organizations=True) | Q(organizations=organization))
        .select_related("user")
        .distinct()
        .order_by("user__first_name", "user__email")
    )


def account_managers_list(*, organization: Organization) -> QuerySet[Membership]:
    """The members who reach the organization and are account managers: what account-manager pickers offer."""
    return members_list(organization=organization).filter(is_account_manager=True)


def team_activity(*, organization: Organization) -> QuerySet[ActivityLog]:
    """Invitations, joins, changes and removals of members, newest first."""
    return ActivityLog.objects.filter(organization=organization, code__startswith="member.").select_related(
        "actor_user", "organization"
    )
