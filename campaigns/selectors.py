"""Reads for campaigns: the funnel (one aggregate query), each invitation's stage, the progress per campaign.

The funnel counts how far each invitation got, from the mandate's timestamps and the invitation's e-mail
events. The steps are cumulative (a signed mandate was also opened and started), except "e-mail bounced"
and "declined", which are side exits. `stage` is the one current state shown per customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Invitation
from mandates.links import signing_url
from mandates.models import MandateState
from organizations.models import Organization

SIGNED = Q(mandate__signed_at__isnull=False)
DECLINED = Q(mandate__declined_at__isnull=False)
STARTED = Q(mandate__signing_started_at__isnull=False) | SIGNED
OPENED = Q(mandate__opened_at__isnull=False) | STARTED
BOUNCED = Q(email_bounced_at__isnull=False)
ENDED = Q(mandate__state__in=[MandateState.CANCELLED, MandateState.EXPIRED])

# The funnel's steps in order, each with the condition an invitation meets once it got there.
FUNNEL = {
    "invited": Q(),
    "bounced": BOUNCED,
    "opened": OPENED,
    "started": STARTED,
    "signed": SIGNED,
    "declined": DECLINED,
}
STAGE_LABELS = {
    "invited": _("Invited"),
    "bounced": _("E-mail bounced"),
    "opened": _("Opened"),
    "started": _("Signing started"),
    "signed": _("Signed"),
    "declined": _("Declined"),
    "ended": _("Expired or cancelled"),
}
# The current stage: the furthest one reached, the side exits winning over what came before them.
STAGE = Case(
    When(SIGNED, then=Value("signed")),
    When(DECLINED, then=Value("declined")),
    When(ENDED, then=Value("ended")),
    When(STARTED, then=Value("started")),
    When(OPENED, then=Value("opened")),
    When(BOUNCED, then=Value("bounced")),
    default=Value("invited"),
    output_field=CharField(),
)
NOT_SIGNED = ~SIGNED & ~DECLINED & ~ENDED


@dataclass(frozen=True)
class Funnel:
    invited: int
    bounced: int
    opened: int
    started: int
    signed: int
    declined: int

    @property
    def percent_signed(self) -> int:
        return round(100 * self.signed / self.invited) if self.invited else 0

    def steps(self) -> list[tuple[str, object, int]]:
        return [(name, STAGE_LABELS[name], getattr(self, name)) for name in FUNNEL]


def campaign_funnel(*, campaign: Campaign) -> Funnel:
    """Every step's count in ONE aggregate query."""
    counts = Invitation.objects.filter(organization_id=campaign.organization_id, campaign=campaign).aggregate(
        **{name: Count("pk", filter=condition) if condition else Count("pk") for name, condition in FUNNEL.items()}
    )
    return Funnel(**counts)


def campaigns_with_progress(*, organization: Organization) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(organization=organization)
        .select_related("profile")
        .annotate(
            invited=Count("invitations"),
            signed=Count("invitations", filter=Q(invitations__mandate__signed_at__isnull=False)),
        )
    )


def invitations_for_campaign(*, campaign: Campaign, stage: str = "") -> QuerySet[Invitation]:
    queryset = (
        Invitation.objects.filter(organization_id=campaign.organization_id, campaign=campaign)
        .select_related("customer", "mandate")
        .annotate(stage=STAGE)
        # In the order they were invited (index invitation_in_order): sorting by the customer's name would sort
        # every invitation of the campaign on each page view.
        .order_by("pk")
    )
    if stage in STAGE_LABELS:
        queryset = queryset.filter(stage=stage)
    return queryset


def unsigned_invitations(*, campaign: Campaign) -> QuerySet[Invitation]:
    """Still waiting for the debtor: may be reminded."""
    return Invitation.objects.filter(organization_id=campaign.organization_id, campaign=campaign).filter(
        NOT_SIGNED, mandate__state__in=[MandateState.PREPARED, MandateState.INVITED, MandateState.OPENED,
                                        MandateState.SIGNING],
    )  # fmt: skip


def last_action(invitation: Invitation) -> tuple[object, datetime | None]:
    """The latest thing that happened to the invitation: (label, when)."""
    mandate = invitation.mandate
    moments = [
        (_("Invited"), mandate.invited_at or invitation.created_at),
        (_("E-mail sent"), invitation.last_action_at),
        (_("Reminded"), invitation.last_reminded_at),
        (_("E-mail bounced"), invitation.email_bounced_at),
        (_("Opened"), mandate.opened_at),
        (_("Signing started"), mandate.signing_started_at),
        (_("Signed"), mandate.signed_at),
        (_("Declined"), mandate.declined_at),
        (_("Expired"), mandate.expired_at),
        (_("Cancelled"), mandate.cancelled_at if not mandate.declined_at else None),
    ]
    happened = [(label, moment) for label, moment in moments if moment]
    return max(happened, key=lambda item: item[1]) if happened else (_("Invited"), None)


def signing_link(mandate) -> str:
    """The mandate's signing link (the public signing page in mandates)."""
    return signing_url(mandate)
