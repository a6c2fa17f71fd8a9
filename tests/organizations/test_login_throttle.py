"""Guessing passwords: after 5 failures the address and the account are locked for 15 minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
OWNER = "owner@acme.example"


def attempt(client, password, *, username=OWNER, ip="203.0.113.5"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_after_five_wrong_passwords_even_the_right_one_is_refused_until_the_cool_off(world, client):
    for _ in range(4):
        assert attempt(client, "wrong-guess").status_code == 200
    locked = attempt(client, "wrong-guess")
    assert locked.status_code == 429 and b"login-locked" in locked.content and b"15 minutes" in locked.content
    refused = attempt(client, PASSWORD)
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(client, PASSWORD).status_code == 302
        assert "_auth_user_id" in client.session


def test_the_account_is_locked_from_other_addresses_too(world, client):
    for number in range(5):
        attempt(client, "wrong-guess", username=" Owner@Acme.example ", ip=f"198.51.100.{number}")
    assert attempt(client, PASSWORD, ip="192.0.2.44").status_code == 429
    assert attempt(client, PASSWORD, username="member@acme.example", ip="192.0.2.45").status_code == 302


def test_the_address_is_locked_for_every_account(world, client):
    for number in range(5):
        attempt(client, "wrong-guess", username=f"nobody{number}@example.com")
    assert attempt(client, PASSWORD).status_code == 429
    assert attempt(client, PASSWORD, ip="192.0.2.46").status_code == 302


def test_a_success_clears_the_count(world, client):
    for _ in range(4):
        attempt(client, "wrong-guess")
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "wrong-guess")
    assert attempt(client, PASSWORD).status_code == 302


def test_the_lockout_message_is_translated(world, client):
    for _ in range(5):
        attempt(client, "wrong-guess")
    client.cookies["django_language"] = "nl"
    with translation.override("nl"):
        page = attempt(client, PASSWORD, username="x@example.com").content.decode()
    assert "15 minuten" in page
