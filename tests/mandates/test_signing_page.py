"""The public signing page refuses what it must, explains why, and keeps what the debtor typed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mandates.links import signing_path, token_for
from mandates.models import Mandate, MandateState
from mandates.services import mandate_prepare
from tests.mandates.conftest import SIGNING_DATA


def error_next_to(page: str, field: str) -> str:
    """The error message rendered right after the field's input."""
    match = re.search(rf'name="{field}".*?<small class="error" id="id_{field}-error" role="alert">(.*?)</small>', page,
                      re.S)  # fmt: skip
    return match.group(1) if match else ""


def test_a_forged_token_gives_a_page_that_explains(client, prepared):
    token = token_for(prepared)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.get(f"/sign/{forged}/")
    assert response.status_code == 404 and b"link-unknown" in response.content
    assert client.get("/sign/not-a-token/").status_code == 404
    prepared.refresh_from_db()
    assert prepared.state == MandateState.PREPARED


def test_a_link_of_another_version_no_longer_works(client, prepared):
    old = signing_path(prepared)
    Mandate.objects.filter(pk=prepared.pk).update(link_version=2)
    assert client.get(old).status_code == 404
    prepared.refresh_from_db()
    assert client.get(signing_path(prepared)).status_code == 200


def test_an_expired_link_says_what_to_do_next(client, world, prepared, sign_url):
    world.org_a.reply_to_email = "finance@acme.example"
    world.org_a.save()
    Mandate.objects.filter(pk=prepared.pk).update(link_expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(sign_url)
    assert response.status_code == 410 and b"link-expired" in response.content
    assert b"finance@acme.example" in response.content and b"Acme NV" in response.content
    assert client.post(sign_url, SIGNING_DATA).status_code == 410
    prepared.refresh_from_db()
    assert prepared.state == MandateState.PREPARED


def test_a_used_link_shows_the_mandate_is_signed(client, prepared, sign_url):
    client.post(sign_url, SIGNING_DATA)
    response = client.get(sign_url)
    assert response.status_code == 200 and b"link-signed" in response.content


def test_a_bad_iban_is_shown_next_to_the_field_and_the_input_is_kept(client, prepared, sign_url):
    response = client.post(sign_url, {**SIGNING_DATA, "iban": "BE71 0961 2345 6768", "lang": "en"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "check digits do not match" in error_next_to(page, "iban")
    assert 'value="BE71 0961 2345 6768"' in page and 'value="Lindenlaan 4"' in page
    prepared.refresh_from_db()
    assert prepared.state == MandateState.SIGNING  # the submission counts as starting to sign


def test_a_debtor_outside_sepa_is_refused_with_field_errors(client, prepared, sign_url):
    response = client.post(sign_url, {**SIGNING_DATA, "debtor_country": "US", "lang": "en"})
    assert response.status_code == 400
    assert "not one" in error_next_to(response.content.decode(), "debtor_country")
    response = client.post(sign_url, {**SIGNING_DATA, "iban": "XK051212012345678906", "lang": "en"})
    assert "not in the SEPA scheme" in error_next_to(response.content.decode(), "iban")


def test_missing_fields_and_the_acceptance_are_asked_for(client, prepared, sign_url):
    data = {**SIGNING_DATA, "debtor_city": "", "signer_name": "", "lang": "en"}
    data.pop("accept")
    page = client.post(sign_url, data).content.decode()
    assert error_next_to(page, "debtor_city") == "Please fill this in."
    assert error_next_to(page, "signer_name") == "Type your full name to sign."
    assert "Please confirm that you agree to the mandate text." in page


def test_a_bic_is_asked_only_when_it_cannot_be_derived_outside_the_eea(client, prepared, sign_url):
    swiss = {**SIGNING_DATA, "iban": "CH93 0076 2011 6238 5295 7", "debtor_country": "CH", "lang": "en"}
    page = client.post(sign_url, swiss).content.decode()
    assert "needed for accounts outside the EEA" in error_next_to(page, "bic")
    assert client.post(sign_url, {**swiss, "bic": "POFICHBEXXX"}).status_code == 302
    prepared.refresh_from_db()
    assert prepared.bic == "POFICHBEXXX" and prepared.state == MandateState.SIGNED


@pytest.mark.parametrize(("language", "words"), [("en", "8 weeks"), ("fr", "8 semaines"), ("de", "acht Wochen"),
                                                  ("nl", "8 weken")])  # fmt: skip
def test_the_page_speaks_the_language_asked_for(client, sign_url, language, words):
    response = client.get(f"{sign_url}?lang={language}")
    assert f'<html lang="{language}">' in response.content.decode() and words in response.content.decode()


def test_a_b2b_mandate_says_there_is_no_refund(client, world):
    from tests.factories import CustomerFactory

    world.a.profile.scheme = "B2B"
    world.a.profile.save()
    mandate = mandate_prepare(organization=world.org_a, customer=CustomerFactory(organization=world.org_a),
                              profile=world.a.profile)  # fmt: skip
    page = client.get(f"{signing_path(mandate)}?lang=en").content.decode()
    assert "only intended for business-to-business" in page and "not entitled to a refund" in page


def test_requests_are_rate_limited_per_link_and_per_ip(client, settings, prepared, sign_url):
    settings.SIGNING_RATE_LIMIT_PER_LINK = 3
    for _ in range(3):
        assert client.get(sign_url).status_code == 200
    response = client.get(sign_url)
    assert response.status_code == 429 and b"rate-limited" in response.content and response["Retry-After"]
    settings.SIGNING_RATE_LIMIT_PER_LINK = 100
    settings.SIGNING_RATE_LIMIT_PER_IP = 4
    assert client.get("/sign/forged.1.x/").status_code == 429  # the 5th request from this IP
    assert client.get(sign_url, REMOTE_ADDR="198.51.100.7").status_code == 200


def test_the_page_reveals_nothing_else_of_the_tenant(client, world, sign_url):
    page = client.get(sign_url).content.decode()
    assert world.a.customer.name not in page and "2026-001" not in page and "/o/" not in page


@pytest.mark.parametrize("mac", ["%C3%A9%C3%A9", "%00", "%E2%80%AE" * 3])
def test_a_non_ascii_mac_is_an_unknown_link_not_a_server_error(client, prepared, mac):
    public = token_for(prepared).split(".")[0]
    response = client.get(f"/sign/{public}.1.{mac}/")
    assert response.status_code == 404 and b"link-unknown" in response.content
    assert client.get(f"/sign/{public}.{'9' * 40}.abc/").status_code == 404


def test_over_the_limit_the_link_is_not_even_looked_up(client, settings, prepared, sign_url, django_assert_num_queries):
    settings.SIGNING_RATE_LIMIT_PER_LINK = 1
    assert client.get(sign_url).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(sign_url)
    assert response.status_code == 429 and b"rate-limited" in response.content
