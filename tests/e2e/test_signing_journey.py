"""Browser journeys on a phone: open the signing link, fix a typo in the IBAN, sign, download the PDF; switch the
page to another language and sign in that language."""

from __future__ import annotations

import pypdf
import pytest
from playwright.sync_api import expect

from mandates.links import signing_path
from mandates.models import MandateState
from mandates.services import mandate_prepare
from tests.factories import ContactFactory, CustomerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "is_mobile": True,
            "has_touch": True}  # fmt: skip


def test_a_debtor_signs_the_mandate_on_a_phone(world, live_server, page):
    customer = CustomerFactory(organization=world.org_a, name="Camille Dubois", type="person", language="en",
                               street="Rue Haute 8", postal_code="1000", city="Bruxelles", country="BE")  # fmt: skip
    ContactFactory(customer=customer, email="camille@example.be")
    mandate = mandate_prepare(organization=world.org_a, customer=customer, profile=world.a.profile)

    page.goto(live_server.url + signing_path(mandate))
    expect(page.get_by_test_id("creditor-name")).to_have_text("Acme NV")
    expect(page.get_by_test_id("legal-text")).to_contain_text("within 8 weeks")
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_label("IBAN").fill("BE71 0961 2345 6768")
    page.get_by_label("I have read the text above and agree to it.").check()
    page.get_by_label("Type your full name to sign").fill("Camille Dubois")
    page.get_by_role("button", name="Sign the mandate").click()
    expect(page.locator("#id_iban-error")).to_contain_text("check digits do not match")
    expect(page.get_by_label("Type your full name to sign")).to_have_value("Camille Dubois")

    page.get_by_label("IBAN").fill("BE71 0961 2345 6769")
    page.get_by_label("I have read the text above and agree to it.").check()
    page.get_by_role("button", name="Sign the mandate").click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    assert download.value.suggested_filename == f"mandate-{mandate.reference}.pdf"

    mandate.refresh_from_db()
    assert mandate.state == MandateState.SIGNED and mandate.iban == "BE71096123456769"
    assert mandate.signing_started_at is not None and "Chrome" in mandate.signed_user_agent


def test_a_debtor_switches_the_page_to_dutch_and_signs_the_dutch_text(world, live_server, page):
    """The customer's language is German; the debtor reads and signs in Dutch, and everything after stays Dutch."""
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
    ContactFactory(customer=customer, email="jeanne@example.be")
    mandate = mandate_prepare(organization=world.org_a, customer=customer, profile=world.a.profile)

    page.goto(live_server.url + signing_path(mandate))
    expect(page.get_by_test_id("legal-text")).to_contain_text("Ich ermächtige")
    page.get_by_role("link", name="NL", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_test_id("legal-text")).to_contain_text("Door ondertekening van dit mandaatformulier")

    page.get_by_label("IBAN").fill("BE71 0961 2345 6769")
    page.get_by_label("Ik heb de bovenstaande tekst gelezen en ga ermee akkoord.").check()
    page.get_by_label("Typ uw volledige naam om te ondertekenen").fill("Jeanne Peeters")
    page.get_by_role("button", name="Mandaat ondertekenen").click()
    expect(page.get_by_test_id("thanks")).to_contain_text("Bedankt, het mandaat is ondertekend")
    with page.expect_download() as download:
        page.get_by_test_id("download-pdf").click()
    with open(download.value.path(), "rb") as pdf:
        text = " ".join(sheet.extract_text() for sheet in pypdf.PdfReader(pdf).pages)
    assert "Door ondertekening van dit mandaatformulier" in " ".join(text.split()) and "Ich ermächtige" not in text

    # Opening the link again later shows the signed mandate in Dutch, not the customer's German.
    page.goto(live_server.url + signing_path(mandate))
    expect(page.get_by_test_id("link-signed")).to_contain_text("Dit mandaat is al ondertekend")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    mandate.refresh_from_db()
    assert (mandate.language, mandate.signed_language) == ("de", "nl")
