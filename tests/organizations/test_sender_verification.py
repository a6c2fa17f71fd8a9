"""The organization's own sender address: mailed a link, verified by whoever reads it, then used as From."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from mailroom.models import StoredEmail
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db
PLATFORM = "no-reply@collect.localhost"


def organization_data(organization, **changes) -> dict:
    fields = ["name", "country", "time_zone", "default_language", "currency", "sender_name", "sender_email",
              "reply_to_email", "vat_number", "address"]  # fmt: skip
    return {**{name: getattr(organization, name) for name in fields}, **changes}


def set_sender(client, organization, email: str):
    url = reverse("configuration:organization", args=[organization.slug])
    return client.post(url, organization_data(organization, sender_email=email, reply_to_email="ar@acme.example"))


def link_in(email: StoredEmail) -> str:
    return re.search(r"http://\S+(/verify-sender/\S+/)", email.text_body).group(1)


def last_mail_to(address: str) -> StoredEmail:
    return StoredEmail.objects.filter(to=[address]).latest("id")


def codes(organization) -> list[str]:
    return list(ActivityLog.objects.filter(organization=organization, code__startswith="organization.sender")
                .order_by("id").values_list("code", flat=True))  # fmt: skip


def test_a_new_sender_address_gets_a_verification_link_and_is_not_used_yet(world, owner_a_client):
    response = set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    assert response.status_code == 302
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email == "invoices@sender.example" and world.org_a.sender_email_verified_at is None
    mail = last_mail_to("invoices@sender.example")
    assert mail.organization_id == world.org_a.pk and "/verify-sender/" in mail.text_body
    assert PLATFORM in mail.from_email
    assert codes(world.org_a) == ["organization.sender_verification_sent"]
    page = owner_a_client.get(reverse("configuration:organization", args=[world.org_a.slug]))
    assert b"Not verified yet" in page.content and b"Send the verification link again" in page.content


def test_opening_the_link_only_asks_and_confirming_verifies(world, owner_a_client, client):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    link = link_in(last_mail_to("invoices@sender.example"))
    client.logout()  # whoever reads that mailbox, logged in or not
    page = client.get(link)
    assert page.status_code == 200 and b"Confirm this address" in page.content
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is None  # a mail scanner following the link verifies nothing
    page = client.post(link)
    assert page.status_code == 200 and b"is now the verified sender address" in page.content
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is not None
    assert codes(world.org_a) == ["organization.sender_verification_sent", "organization.sender_verified"]
    client.post(link)  # a second click changes nothing
    assert codes(world.org_a).count("organization.sender_verified") == 1


def test_changing_the_address_clears_verification_and_old_links_stop_working(world, owner_a_client, client):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    old_link = link_in(last_mail_to("invoices@sender.example"))
    client.post(old_link)
    set_sender(owner_a_client, world.org_a, "credit@sender.example")
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is None
    reset_then_sent = ["organization.sender_verification_reset", "organization.sender_verification_sent"]
    assert codes(world.org_a)[-2:] == reset_then_sent
    response = client.post(old_link)
    assert response.status_code == 400 and b"no longer the sender address" in response.content
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is None
    client.post(link_in(last_mail_to("credit@sender.example")))
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is not None


def test_an_expired_link_is_refused(world, owner_a_client, client):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    link = link_in(last_mail_to("invoices@sender.example"))
    with time_machine.travel(datetime.now(tz=ZoneInfo("UTC")) + timedelta(days=4)):
        response = client.post(link)
    assert response.status_code == 400 and b"expired" in response.content
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is None


def test_a_token_made_for_another_purpose_or_forged_is_refused(world, owner_a_client, client):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    other_purpose = signing.dumps({"organization": world.org_a.pk, "email": "invoices@sender.example"})
    for token in (other_purpose, "forged:token"):
        response = client.post(reverse("sender-verify", args=[token]))
        assert response.status_code == 400 and b"not valid" in response.content
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is None


def test_the_link_can_be_sent_again_by_an_owner_but_not_by_a_member(world, owner_a_client, client):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    url = reverse("configuration:sender-verification", args=[world.org_a.slug])
    assert owner_a_client.post(url).status_code == 302
    assert StoredEmail.objects.filter(to=["invoices@sender.example"]).count() == 2
    client.force_login(world.member_a.user)
    assert client.post(url).status_code == 403
    assert StoredEmail.objects.filter(to=["invoices@sender.example"]).count() == 2


def test_saving_other_details_keeps_the_verification(world, owner_a_client, client):
    set_sender(owner_a_client, world.org_a, "invoices@sender.example")
    client.post(link_in(last_mail_to("invoices@sender.example")))
    world.org_a.refresh_from_db()
    url = reverse("configuration:organization", args=[world.org_a.slug])
    owner_a_client.post(url, organization_data(world.org_a, sender_email="Invoices@Sender.example", vat_number="BE1"))
    world.org_a.refresh_from_db()
    assert world.org_a.sender_email_verified_at is not None
    page = owner_a_client.get(url)
    assert b"Verified" in page.content
