"""From whom follow-up messages go out: the platform in the organization's name, or its verified address."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from mailroom.models import StoredEmail
from messaging.delivery import deliver_one
from reminders.decide import decide_due_cross_tenant
from tests.organizations.test_sender_verification import PLATFORM, last_mail_to, link_in, set_sender

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def decided(world, make_invoice):
    make_invoice("S-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    return dispatch


def test_until_verified_messages_go_from_the_platform_in_the_organizations_name(world, owner_a_client, decided):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.from_email == f"Acme Belgium <{PLATFORM}>"
    assert dispatch.reply_to == ["ar@acme.example"]
    assert StoredEmail.objects.get(metadata__dispatch_id=dispatch.pk).from_email == f"Acme Belgium <{PLATFORM}>"


def test_once_verified_messages_go_from_the_organizations_own_address(world, owner_a_client, client, decided):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    client.post(link_in(last_mail_to("invoices@sender.example")))
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert dispatch.from_email == "Acme Belgium <invoices@sender.example>"
    assert dispatch.reply_to == ["ar@acme.example"]
    assert StoredEmail.objects.get(metadata__dispatch_id=dispatch.pk).from_email == dispatch.from_email
