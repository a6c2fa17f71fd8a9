from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from campaigns.models import Campaign, Invitation
from campaigns.selectors import campaign_funnel

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_campaign_in_progress_once(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    campaign = Campaign.objects.get(organization__slug="demo-be", name="Direct debit 2026")
    funnel = campaign_funnel(campaign=campaign)
    assert funnel.invited == 24
    assert (funnel.signed, funnel.started, funnel.opened, funnel.declined, funnel.bounced) == (7, 10, 15, 1, 1)
    call_command("seed_demo", stdout=io.StringIO())
    assert Invitation.objects.filter(campaign__organization__slug="demo-be").count() == 24
