"""A mandate is kept in the language the debtor read and signed, not the customer's language on file."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from mailroom.models import StoredEmail
from mandates.links import signing_path
from mandates.models import MandateDocument
from mandates.services import mandate_prepare
from organizations.models import ActivityLog
from tests.factories import ContactFactory, CustomerFactory
from tests.mandates.conftest import SIGNING_DATA
from tests.mandates.test_signing_flow import pdf_text

DUTCH_LEGAL = "Door ondertekening van dit mandaatformulier"
GERMAN_LEGAL = "Ich ermächtige / Wir ermächtigen"


@pytest.fixture
def german_customer(world):
    customer = CustomerFactory(
        organization=world.org_a,
        name="Jeanne Peeters",
        type="person",
        language="de",
        street="Lindenlaan 4",
        postal_code="9000",
        city="Gent",
        country="BE",
    )
    ContactFactory(customer=customer, email="jeanne@example.be", name="Jeanne")
    return customer


@pytest.fixture
def german_mandate(world, german_customer):
    return mandate_prepare(
        organization=world.org_a, customer=german_customer, profile=world.a.profile, actor=world.owner_a.user
    )


def sign_in_dutch(client, mandate) -> str:
    url = signing_path(mandate)
    assert GERMAN_LEGAL in client.get(url).content.decode()  # the customer's language first
    page = client.get(url, {"lang": "nl"}).content.decode()
    assert DUTCH_LEGAL in page and 'name="lang" value="nl"' in page
    response = client.post(url, {**SIGNING_DATA, "lang": "nl"})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def test_a_mandate_signed_on_the_dutch_page_is_kept_in_dutch(client, world, german_mandate):
    thanks_url = sign_in_dutch(client, german_mandate)
    german_mandate.refresh_from_db()
    assert german_mandate.language == "de" and german_mandate.signed_language == "nl"
    signed = ActivityLog.objects.get(subject_id=german_mandate.pk, code="mandate.signed")
    assert signed.data["language"] == "nl"

    # The PDF holds the Dutch text the debtor read, with Dutch labels.
    document = MandateDocument.objects.get(mandate=german_mandate)
    assert document.language == "nl"
    text = pdf_text(bytes(document.pdf))
    assert "SEPA-domiciliëringsmandaat" in text and DUTCH_LEGAL[:30] in text and "Ich ermächtige" not in text

    # The page after signing is Dutch.
    thanks = client.get(thanks_url).content.decode()
    assert "Bedankt, het mandaat is ondertekend" in thanks and 'lang="nl"' in thanks

    # The signed copy goes out in Dutch, though the customer's language is German.
    call_command("run_followups", stdout=io.StringIO())
    email = StoredEmail.objects.get(to=["jeanne@example.be"])
    assert email.subject.startswith("Uw SEPA-mandaat voor") and "Beste Jeanne" in email.text_body
    assert "Guten Tag" not in email.text_body


def test_reopening_the_link_after_signing_shows_the_signing_language_unless_switched(client, german_mandate):
    sign_in_dutch(client, german_mandate)
    url = signing_path(german_mandate)
    again = client.get(url).content.decode()
    assert "Dit mandaat is al ondertekend" in again and '<html lang="nl">' in again
    switched = client.get(url, {"lang": "fr"}).content.decode()
    assert '<html lang="fr">' in switched and "Dit mandaat is al ondertekend" not in switched


def test_signing_without_switching_keeps_the_customers_language(client, german_mandate):
    url = signing_path(german_mandate)
    client.get(url)
    assert client.post(url, {**SIGNING_DATA, "lang": "de"}).status_code == 302
    german_mandate.refresh_from_db()
    assert german_mandate.signed_language == "de"
    assert GERMAN_LEGAL[:30] in pdf_text(bytes(MandateDocument.objects.get(mandate=german_mandate).pdf))


def test_the_mandate_page_and_the_api_show_the_signing_language(client, world, owner_a_client, api_a, german_mandate):
    sign_in_dutch(client, german_mandate)
    page = owner_a_client.get(reverse("mandates:detail", args=[world.org_a.slug, german_mandate.pk])).content.decode()
    assert 'data-testid="signed-language">' in page
    fact = page.split('data-testid="signed-language">', 1)[1].split("<", 1)[0]
    assert fact in ("Dutch", "Nederlands")
    # When it was signed: Brussels time with its zone (CET in December).
    signed_at = page.split('data-testid="signed-at">', 1)[1].split("<", 1)[0]
    assert signed_at.endswith(" CET") and signed_at[:10] == "03/12/2026"
    body = api_a.get(f"/api/v1/mandates/{german_mandate.pk}/").json()
    assert body["signed_language"] == "nl" and body["language"] == "de"
    # Read-only: the API cannot rewrite what was signed.
    api_a.patch(f"/api/v1/mandates/{german_mandate.pk}/", {"signed_language": "en"}, format="json")
    german_mandate.refresh_from_db()
    assert german_mandate.signed_language == "nl"
