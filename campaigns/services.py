"""Writes for campaigns: create, rename, close; invite customers in bulk; remind the unsigned.

Inviting is set-based per chunk of customers (the bulk job's unit): a handful of queries whatever the chunk
size — read the customers and what they already have, allocate the references in one go, bulk-create the
mandates and invitations, queue the e-mails through the outbox door and log in bulk. A chunk may run twice
(a resumed job): the invitation's uniqueness per (campaign, customer) and the e-mail's dedupe key make the
second run create nothing.

Closing a campaign stops its reminders (and any e-mail not sent yet is skipped at send time); the signing
links already handed out keep working until they expire, so a debtor who acts late can still sign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.messages import MANDATE_INVITATION, MANDATE_REMINDER
from campaigns.models import Campaign, CampaignStatus, Invitation
from campaigns.selectors import unsigned_invitations
from customers.models import Customer, CustomerType
from mandates.models import Mandate, MandateProfile, MandateState, Scheme
from mandates.services import references_allocate
from messaging.kinds import Outgoing, about, queue_messages
from organizations.models import ActivityLog, Organization
from organizations.services import Actor, log_action, log_actions_bulk
from tabular.bulk_insert import analyze_after_bulk_write, insert_rows

SIGNED_STATES = (MandateState.SIGNED, MandateState.SUSPENDED)


class CampaignError(ValueError):
    """The campaign cannot do this (closed, profile mismatch, …); the message is for the user."""


def _user(actor: Actor):
    return actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None


def dedupe_key(mandate_id: int, round_number: int) -> str:
    """Round 0 is the invitation, 1… the reminders: each is sent at most once."""
    return f"mandate-invitation:{mandate_id}:{round_number}"


@transaction.atomic
def campaign_create(*, organization: Organization, name: str, profile: MandateProfile, actor: Actor) -> Campaign:
    if profile.organization_id != organization.pk:
        raise CampaignError(_("This mandate profile does not exist."))
    name = name.strip()
    if Campaign.objects.filter(organization=organization, name__iexact=name).exists():
        raise CampaignError(_("A campaign with this name exists already."))
    campaign = Campaign.objects.create(organization=organization, name=name, profile=profile, created_by=_user(actor))
    log_action(organization=organization, subject=campaign, code="campaign.created", actor=actor,
               data={"name": name, "profile": profile.name})  # fmt: skip
    return campaign


@transaction.atomic
def campaign_rename(*, campaign: Campaign, name: str, actor: Actor) -> Campaign:
    name = name.strip()
    if name == campaign.name:
        return campaign
    taken = Campaign.objects.filter(organization_id=campaign.organization_id, name__iexact=name)
    if taken.exclude(pk=campaign.pk).exists():
        raise CampaignError(_("A campaign with this name exists already."))
    log_action(organization=campaign.organization, subject=campaign, code="campaign.renamed", actor=actor,
               data={"changes": {"name": [campaign.name, name]}})  # fmt: skip
    campaign.name = name
    campaign.save(update_fields=["name"])
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor: Actor, now: datetime | None = None) -> Campaign:
    """Close: no more invitations or reminders. Links already sent keep working until they expire."""
    if campaign.status == CampaignStatus.CLOSED:
        return campaign
    now = now or timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CLOSED, closed_at=now)
    Invitation.objects.filter(campaign=campaign, next_reminder_at__isnull=False).update(next_reminder_at=None)
    campaign.status, campaign.closed_at = CampaignStatus.CLOSED, now
    log_action(organization=campaign.organization, subject=campaign, code="campaign.closed", actor=actor)
    return campaign


def campaign_for_invitations(*, organization: Organization, params: dict[str, Any], actor: Actor) -> Campaign:
    """The campaign a bulk invitation goes into: the chosen open one, or a new one made on first use."""
    if params.get("campaign"):
        campaign = Campaign.objects.select_related("profile").filter(organization=organization,
                                                                     pk=params["campaign"]).first()  # fmt: skip
        if campaign is None:
            raise CampaignError(_("This campaign no longer exists."))
        if campaign.status != CampaignStatus.OPEN:
            raise CampaignError(_("The campaign “%(name)s” is closed.") % {"name": campaign.name})
        return campaign
    profile = MandateProfile.objects.filter(organization=organization, pk=params.get("profile")).first()
    if profile is None:
        raise CampaignError(_("This mandate profile no longer exists."))
    same_name = Campaign.objects.filter(organization=organization, name__iexact=params["campaign_name"])
    existing = same_name.select_related("profile").first()
    if existing is not None and existing.profile_id == profile.pk and existing.status == CampaignStatus.OPEN:
        return existing  # made by an earlier chunk of this job
    return campaign_create(organization=organization, name=params["campaign_name"], profile=profile, actor=actor)


@dataclass
class InviteResult:
    invited: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"customer", "name", "message"}


def _problem(customer: dict, message: str) -> dict[str, Any]:
    return {"customer": customer["pk"], "name": customer["name"], "message": message}


@transaction.atomic
def invitations_create(
    *, campaign: Campaign, customer_ids: list[int], include_signed: bool = False, actor: Actor = None,
    since: datetime | None = None, now: datetime | None = None,
) -> InviteResult:  # fmt: skip
    """Invite these customers (ids re-scoped to the campaign's organization): one mandate in state `invited`
    and one invitation each, and one e-mail queued per invitation with a valid address.

    Reported, not invited: B2B profile and a person; a signed mandate on the profile already (unless
    `include_signed`); already invited in this campaign (except by this same run, `since` = its start, which
    makes a repeated chunk a no-op). Invited but reported: no valid e-mail (the link can be copied instead).
    """
    now = now or timezone.now()
    organization, profile = campaign.organization, campaign.profile
    if campaign.status != CampaignStatus.OPEN:
        raise CampaignError(_("The campaign “%(name)s” is closed.") % {"name": campaign.name})
    customers = list(
        Customer.objects.filter(organization=organization, pk__in=customer_ids).order_by("pk").values(
            "pk", "name", "type", "language", "has_valid_email", "street", "postal_code", "city", "country"
        )
    )  # fmt: skip
    ids = [customer["pk"] for customer in customers]
    invited_before = dict(
        Invitation.objects.filter(campaign=campaign, customer_id__in=ids).values_list("customer_id", "created_at")
    )
    signed = set()
    if not include_signed:
        signed = set(
            Mandate.objects.filter(organization=organization, profile=profile, customer_id__in=ids,
                                   state__in=SIGNED_STATES).values_list("customer_id", flat=True)
        )  # fmt: skip
    result, to_invite = InviteResult(), []
    for customer in customers:
        created_at = invited_before.get(customer["pk"])
        if created_at is not None:
            if since is not None and created_at >= since:
                result.invited += 1  # this run did it already (a repeated chunk)
            else:
                result.problems.append(_problem(customer, _("Already invited in this campaign.")))
        elif profile.scheme == Scheme.B2B and customer["type"] == CustomerType.PERSON:
            result.problems.append(_problem(customer, _("A B2B mandate is only for companies; this customer is a "
                                                        "person. Use a CORE profile.")))  # fmt: skip
        elif customer["pk"] in signed:
            result.problems.append(_problem(customer, _("Already signed a mandate on this profile; not invited "
                                                        "again without confirmation.")))  # fmt: skip
        else:
            to_invite.append(customer)
    if to_invite:
        _invite(campaign, to_invite, actor=actor, now=now, result=result)
    return result


def _invite(campaign: Campaign, customers: list[dict], *, actor: Actor, now: datetime, result: InviteResult) -> None:
    organization, profile, user = campaign.organization, campaign.profile, _user(actor)
    references = references_allocate(organization=organization, prefix=profile.reference_prefix, count=len(customers))
    expires = now + timedelta(days=profile.link_valid_days)
    user_id = user.pk if user else None
    mandate_ids = insert_rows(Mandate, [
        {"organization_id": organization.pk, "customer_id": customer["pk"], "profile_id": profile.pk,
         "scheme": profile.scheme, "reference": reference, "state": MandateState.INVITED,
         "language": profile.language or customer["language"], "debtor_name": customer["name"][:70],
         "debtor_street": customer["street"][:70], "debtor_postal_code": customer["postal_code"],
         "debtor_city": customer["city"][:70], "debtor_country": customer["country"], "link_expires_at": expires,
         "invited_at": now, "created_by_id": user_id}
        for customer, reference in zip(customers, references, strict=True)
    ])  # fmt: skip
    next_reminder = _first_reminder_at(profile, now)
    no_email = _("No contact with a valid e-mail address: nothing was sent. Copy the signing link from the "
                 "campaign instead.")  # fmt: skip
    invitation_ids = insert_rows(Invitation, [
        {"organization_id": organization.pk, "campaign_id": campaign.pk, "customer_id": customer["pk"],
         "mandate_id": mandate_id, "problem": "" if customer["has_valid_email"] else no_email,
         "created_by_id": user_id, "next_reminder_at": next_reminder if customer["has_valid_email"] else None}
        for customer, mandate_id in zip(customers, mandate_ids, strict=True)
    ])  # fmt: skip
    messages = [
        Outgoing(customer_id=customer["pk"], dedupe_key=dedupe_key(mandate_id, 0), subject=about(Mandate, mandate_id),
                 payload={"campaign": campaign.pk, "round": 0})
        for customer, mandate_id in zip(customers, mandate_ids, strict=True) if customer["has_valid_email"]
    ]  # fmt: skip
    queue_messages(organization=organization, kind=MANDATE_INVITATION, messages=messages, actor=actor, when=now)
    invitations = [Invitation(pk=pk, customer_id=customer["pk"]) for pk, customer in zip(invitation_ids, customers,
                                                                                          strict=True)]  # fmt: skip
    log_actions_bulk(organization=organization, subjects=invitations, code="invitation.created", actor=actor,
                     data={"campaign": campaign.name, "profile": profile.name})  # fmt: skip
    # Rows per invitation: the mandate, the invitation and an activity entry (and its e-mail, in the outbox).
    analyze_after_bulk_write([Mandate, Invitation, ActivityLog], rows=len(customers))
    result.invited += len(customers)
    result.problems.extend(_problem(customer, no_email) for customer in customers if not customer["has_valid_email"])


def _first_reminder_at(profile: MandateProfile, now: datetime) -> datetime | None:
    if profile.remind_every_days and profile.remind_max_times:
        return now + timedelta(days=profile.remind_every_days)
    return None


@transaction.atomic
def campaign_remind(
    *, campaign: Campaign, invitation_ids: list[int] | None = None, actor: Actor = None, now: datetime | None = None
) -> int:
    """Queue a reminder now for the unsigned invitations (all, or those of `invitation_ids`); returns how many."""
    if campaign.status != CampaignStatus.OPEN:
        raise CampaignError(_("The campaign “%(name)s” is closed.") % {"name": campaign.name})
    now = now or timezone.now()
    due = unsigned_invitations(campaign=campaign).filter(mandate__link_expires_at__gt=now,
                                                         customer__has_valid_email=True)  # fmt: skip
    if invitation_ids is not None:
        due = due.filter(pk__in=invitation_ids)
    queued = _remind(campaign, due, actor=actor, now=now)
    log_action(organization=campaign.organization, subject=campaign, code="campaign.reminded", actor=actor,
               data={"invitations": queued})  # fmt: skip
    return queued


def _remind(campaign: Campaign, due, *, actor: Actor, now: datetime) -> int:
    """One reminder round for the invitations of `due`, set-based: queue, then count the round."""
    rows = list(due.select_for_update(of=("self",)).values_list("pk", "customer_id", "mandate_id", "reminders_sent"))
    if not rows:
        return 0
    messages = [
        Outgoing(customer_id=customer_id, dedupe_key=dedupe_key(mandate_id, sent + 1),
                 subject=about(Mandate, mandate_id), payload={"campaign": campaign.pk, "round": sent + 1})
        for _pk, customer_id, mandate_id, sent in rows
    ]  # fmt: skip
    queue_messages(organization=campaign.organization, kind=MANDATE_REMINDER, messages=messages, actor=actor, when=now)
    profile = campaign.profile
    every, most = profile.remind_every_days, profile.remind_max_times
    next_at = Value(None) if not (every and most) else Case(
        When(reminders_sent__lt=most - 1, then=Value(now + timedelta(days=every))), default=Value(None),
    )  # fmt: skip
    Invitation.objects.filter(pk__in=[row[0] for row in rows]).update(
        reminders_sent=F("reminders_sent") + 1, last_reminded_at=now, next_reminder_at=next_at
    )
    return len(rows)


def reminders_send_due_cross_tenant(*, now: datetime | None = None) -> int:
    """Cross-tenant (the beat's): queue the automatic reminders whose time has come, campaign by campaign."""
    now = now or timezone.now()
    due = Invitation.objects.filter(next_reminder_at__lte=now)
    campaign_ids = list(due.values_list("campaign_id", flat=True).distinct())
    queued = 0
    for campaign in Campaign.objects.filter(pk__in=campaign_ids).select_related("organization", "profile"):
        queued += _remind_due_in(campaign, now)
    return queued


@transaction.atomic
def _remind_due_in(campaign: Campaign, now: datetime) -> int:
    mine = Invitation.objects.filter(campaign=campaign, next_reminder_at__lte=now)
    if campaign.status != CampaignStatus.OPEN:
        mine.update(next_reminder_at=None)
        return 0
    due = unsigned_invitations(campaign=campaign).filter(
        next_reminder_at__lte=now, mandate__link_expires_at__gt=now,
        reminders_sent__lt=campaign.profile.remind_max_times,
    )  # fmt: skip
    queued = _remind(campaign, due, actor=None, now=now)
    # Signed, declined, expired links or out of rounds meanwhile: nothing more to remind.
    mine.update(next_reminder_at=None)
    return queued
