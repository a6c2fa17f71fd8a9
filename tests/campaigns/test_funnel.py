"""The campaign funnel: counts from mandate timestamps and e-mail bounces, in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Invitation
from campaigns.selectors import campaign_funnel, invitations_for_campaign
from campaigns.services import invitations_create
from mandates.models import Mandate, MandateState

pytestmark = pytest.mark.django_db

# (customer name, mandate changes, bounced) — what happened to each invitation.
NOW = timezone.now()
STORIES = [
    ("Only invited", {}, False),
    ("Bounced", {}, True),
    ("Opened", {"state": MandateState.OPENED, "opened_at": NOW}, False),
    ("Opened too", {"state": MandateState.OPENED, "opened_at": NOW}, False),
    ("Started", {"state": MandateState.SIGNING, "opened_at": NOW, "signing_started_at": NOW}, False),
    ("Signed", {"state": MandateState.SIGNED, "opened_at": NOW, "signing_started_at": NOW, "signed_at": NOW}, False),
    ("Signed, bounced before", {"state": MandateState.SIGNED, "opened_at": NOW, "signing_started_at": NOW,
                                "signed_at": NOW}, True),
    ("Declined", {"state": MandateState.CANCELLED, "opened_at": NOW, "declined_at": NOW}, False),
    ("Expired", {"state": MandateState.EXPIRED, "expired_at": NOW}, False),
]  # fmt: skip


@pytest.fixture
def told(world, make_customer, campaign):
    customers = {name: make_customer(name=name) for name, _changes, _bounced in STORIES}
    invitations_create(campaign=campaign, customer_ids=[c.pk for c in customers.values()])
    for name, changes, bounced in STORIES:
        Mandate.objects.filter(customer=customers[name]).update(**changes)
        if bounced:
            Invitation.objects.filter(customer=customers[name]).update(email_bounced_at=NOW - timedelta(hours=1))
    # Another campaign's invitation does not count.
    other = make_customer()
    invitations_create(campaign=world.a.campaign, customer_ids=[other.pk])
    return campaign


def independent_funnel(campaign) -> dict[str, int]:
    """The same counts, computed in Python from the rows."""
    counts = dict.fromkeys(["invited", "bounced", "opened", "started", "signed", "declined"], 0)
    for invitation in Invitation.objects.filter(campaign=campaign).select_related("mandate"):
        m = invitation.mandate
        counts["invited"] += 1
        counts["bounced"] += invitation.email_bounced_at is not None
        counts["signed"] += m.signed_at is not None
        counts["started"] += m.signing_started_at is not None or m.signed_at is not None
        counts["opened"] += any([m.opened_at, m.signing_started_at, m.signed_at])
        counts["declined"] += m.declined_at is not None
    return counts


def test_funnel_counts_match_an_independent_computation(told, django_assert_num_queries):
    with django_assert_num_queries(1):
        funnel = campaign_funnel(campaign=told)
    assert funnel.__dict__ == independent_funnel(told)
    assert funnel.__dict__ == {"invited": 9, "bounced": 2, "opened": 6, "started": 3, "signed": 2, "declined": 1}
    assert funnel.percent_signed == 22


def test_each_customer_has_one_current_stage(told):
    stages = {i.customer.name: i.stage for i in invitations_for_campaign(campaign=told)}
    assert stages == {
        "Only invited": "invited", "Bounced": "bounced", "Opened": "opened", "Opened too": "opened",
        "Started": "started", "Signed": "signed", "Signed, bounced before": "signed", "Declined": "declined",
        "Expired": "ended",
    }  # fmt: skip
    assert [i.customer.name for i in invitations_for_campaign(campaign=told, stage="opened")] == [
        "Opened", "Opened too"]  # fmt: skip
