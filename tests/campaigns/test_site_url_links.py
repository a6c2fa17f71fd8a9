"""Signing links use SITE_URL, and `make run` sets SITE_URL from the port it serves on."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaigns.services import invitations_create
from mailroom.models import StoredEmail
from mandates.models import Mandate

ROOT = Path(__file__).resolve().parents[2]


def make_run_commands(**environment: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("SITE_URL", "PORT")}
    result = subprocess.run(
        ["make", "-n", "run", *[f"{k}={v}" for k, v in environment.items() if k == "PORT"]],
        cwd=ROOT,
        env={**env, **{k: v for k, v in environment.items() if k != "PORT"}},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_make_run_points_links_at_its_port():
    commands = make_run_commands(PORT="18800")
    honcho = next(line for line in commands.splitlines() if "honcho start" in line)
    assert 'SITE_URL="http://localhost:18800"' in honcho and "-p 18800" in honcho


def test_a_given_site_url_wins_over_the_port():
    commands = make_run_commands(PORT="18800", SITE_URL="https://collect.example.com")
    assert 'SITE_URL="https://collect.example.com"' in commands and 'localhost:18800"' not in commands


@pytest.mark.django_db
def test_the_invitation_email_and_the_campaign_page_link_to_the_site_url(
    world, make_customer, campaign, owner_a_client, settings
):
    settings.SITE_URL = "http://localhost:18800"
    customer = make_customer(name="Port BV")
    invitations_create(campaign=campaign, customer_ids=[customer.pk], actor=world.owner_a.user)
    call_command("run_followups")
    email = StoredEmail.objects.get(organization=world.org_a, to=[f"billing{customer.pk}@debtor.example"])
    mandate = Mandate.objects.get(customer=customer)
    page = owner_a_client.get(reverse("campaigns:detail", args=[world.org_a.slug, campaign.pk])).content.decode()
    for text in (email.text_body, email.html_body, page):
        assert "http://localhost:18800/sign/" in text and "localhost:8000" not in text
    assert mandate.state == "invited"
