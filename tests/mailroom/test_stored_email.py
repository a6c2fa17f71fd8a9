from __future__ import annotations

import pytest
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from mailroom.models import StoredEmail

pytestmark = pytest.mark.django_db


def send(organization, subject):
    message = EmailMultiAlternatives(
        subject,
        "Text body",
        "Acme <billing@acme.example>",
        ["debtor@example.com"],
        reply_to=["finance@acme.example"],
    )
    message.attach_alternative("<p>HTML body</p>", "text/html")
    message.attach("invoice.pdf", b"%PDF-1.4 test", "application/pdf")
    message.metadata = {"organization_id": organization.pk}
    message.send()


def test_outgoing_mail_is_kept_as_sent(world):
    send(world.org_a, "Reminder 2026-001")
    stored = StoredEmail.objects.get(subject="Reminder 2026-001")
    assert (stored.organization, stored.to, stored.reply_to) == (
        world.org_a,
        ["debtor@example.com"],
        ["finance@acme.example"],
    )
    assert stored.html_body == "<p>HTML body</p>" and stored.text_body == "Text body"
    assert stored.attachments == [{"filename": "invoice.pdf", "mimetype": "application/pdf", "size": 13}]


def test_each_organization_sees_only_its_own_mail(world, owner_a_client):
    send(world.org_a, "For Acme")
    send(world.org_b, "For Beta")
    page = owner_a_client.get(reverse("mailroom:list", args=[world.org_a.slug])).content
    assert b"For Acme" in page and b"For Beta" not in page


def test_a_stored_message_opens_as_sent(world, owner_a_client):
    send(world.org_a, "Open me")
    stored = StoredEmail.objects.get(subject="Open me")
    page = owner_a_client.get(reverse("mailroom:detail", args=[world.org_a.slug, stored.pk])).content
    assert b"finance@acme.example" in page and b"invoice.pdf" in page and b"sandbox" in page
