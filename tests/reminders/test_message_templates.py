from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.models import MessageTemplate
from messaging.texts import text_for
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db


def edit_url(world, purpose="reminder_1", language="fr"):
    return reverse("templates:edit", args=[world.org_a.slug, purpose, language])


def test_without_own_text_the_system_default_in_the_customers_language_applies(world, tmp_path, monkeypatch):
    from messaging import texts

    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "reminder_1.txt").write_text("Subject: Rappel {customer_reference}\n\nBonjour {contact_name},\n")
    monkeypatch.setattr(texts, "DEFAULTS_DIR", tmp_path)
    texts.system_default.cache_clear()
    text = text_for(organization=world.org_a, purpose="reminder_1", language="fr")
    assert (text.subject, text.is_custom, text.language) == ("Rappel {customer_reference}", False, "fr")
    texts.system_default.cache_clear()


def test_saving_makes_the_text_the_organizations_own(world, owner_a_client):
    response = owner_a_client.post(
        edit_url(world),
        {
            "channel": "email",
            "subject": "Rappel {invoice_number}",
            "body": "Bonjour {contact_name},\n\n{invoice_table}",
        },
    )
    assert response.status_code == 302
    text = text_for(organization=world.org_a, purpose="reminder_1", language="fr")
    assert (text.subject, text.is_custom) == ("Rappel {invoice_number}", True)
    assert ActivityLog.objects.filter(code="template.saved", actor_user=world.owner_a.user).exists()
    assert text_for(organization=world.org_b, purpose="reminder_1", language="fr").is_custom is False


def test_unknown_placeholders_are_refused_and_named(world, owner_a_client):
    response = owner_a_client.post(
        edit_url(world), {"channel": "email", "subject": "Hi", "body": "Pay {iban_number} now"}
    )
    assert response.status_code == 400
    assert "Unknown placeholder {iban_number}." in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_live_preview_renders_sample_data(world, owner_a_client):
    url = reverse("templates:preview", args=[world.org_a.slug, "reminder_1", "fr"])
    response = owner_a_client.post(url, {"subject": "Rappel pour {customer_name}", "body": "Total : {amount_due}"},
                                   HTTP_HX_REQUEST="true")  # fmt: skip
    content = response.content.decode()
    assert "Rappel pour Lumen Design SRL" in content
    assert "Total : 1\u202f694,50\xa0€" in content  # French grouping and decimal comma, as in Belgium


def test_reset_brings_back_the_default(world, owner_a_client):
    MessageTemplate.objects.create(organization=world.org_a, purpose="reminder_1", language="fr", subject="x", body="y")
    owner_a_client.post(edit_url(world), {"reset": "1"})
    assert not MessageTemplate.objects.filter(organization=world.org_a).exists()


def test_members_neither_see_nor_change_texts(world, client):
    """Templates are settings: members see none (Configuration is for owners and admins)."""
    client.force_login(world.member_a.user)
    assert client.get(edit_url(world)).status_code == 403
    assert client.post(edit_url(world), {"channel": "email", "subject": "x", "body": "y"}).status_code == 403


def test_unknown_purpose_or_language_is_not_found(world, owner_a_client):
    assert owner_a_client.get(edit_url(world, purpose="nonsense")).status_code == 404
    assert owner_a_client.get(edit_url(world, language="xx")).status_code == 404
