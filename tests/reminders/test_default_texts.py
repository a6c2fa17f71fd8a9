"""The system default message texts in reminders/defaults/<language>/<purpose>.txt."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from messaging.models import TemplatePurpose
from messaging.templating import InvoiceLine, MessageContext, placeholders_in, render_html, render_text, validate_text
from messaging.texts import DEFAULTS_DIR

pytestmark = pytest.mark.smoke

LANGUAGES = ["en", "nl", "fr", "de"]
PURPOSES = sorted(TemplatePurpose.values)
CASES = [(language, purpose) for language in LANGUAGES for purpose in PURPOSES]


def read(language: str, purpose: str) -> tuple[str, str]:
    """The subject and the body of a default file, split by the same rule as messaging.texts.system_default."""
    text = (DEFAULTS_DIR / language / f"{purpose}.txt").read_text(encoding="utf-8")
    head, separator, body = text.partition("\n\n")
    assert separator, "no blank line after the subject"
    return head.removeprefix("Subject: "), body


def sample(language: str, invoice_count: int) -> MessageContext:
    lines = [
        InvoiceLine("2026-002", date(2026, 9, 1), 40, Decimal("99.00"), "EUR"),
        InvoiceLine("2026-014", date(2026, 9, 20), 21, Decimal("1210.50"), "EUR"),
    ]
    return MessageContext(
        customer_name="Lumen BV", customer_reference="C-1", contact_name="", organization_name="Acme BV",
        organization_email="finance@acme.example", organization_address="Kerkstraat 1, 1000 Brussel",
        organization_vat="BE0123456789", language=language, invoices=lines[:invoice_count],
    )  # fmt: skip


def test_every_language_has_the_same_purposes():
    found = {language: sorted(path.stem for path in (DEFAULTS_DIR / language).glob("*.txt")) for language in LANGUAGES}
    assert found == {language: PURPOSES for language in LANGUAGES}


# Messages about a mandate list no invoices.
ABOUT_MANDATES = {TemplatePurpose.MANDATE_INVITATION, TemplatePurpose.MANDATE_REMINDER, TemplatePurpose.MANDATE_SIGNED}


@pytest.mark.parametrize(("language", "purpose"), CASES)
def test_default_file_has_a_subject_a_blank_line_and_valid_placeholders(language, purpose):
    path = DEFAULTS_DIR / language / f"{purpose}.txt"
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    first_line, second_line = text.split("\n")[:2]
    assert first_line.startswith("Subject: ")
    assert first_line.removeprefix("Subject: ").strip()
    assert second_line == ""
    subject, body = read(language, purpose)
    validate_text(subject)
    validate_text(body)
    assert body.strip()


@pytest.mark.parametrize(("language", "purpose"), CASES)
def test_body_greets_the_contact_lists_the_invoices_and_signs_with_the_organization(language, purpose):
    subject, body = read(language, purpose)
    blocks = [block.strip() for block in body.split("\n\n")]
    assert "{contact_name}" in blocks[0].split("\n")[0]
    assert blocks[-1].endswith("{organization_name}")
    # A table renders in HTML only when the placeholder is a paragraph of its own.
    assert ("{invoice_table}" in blocks) == (purpose not in ABOUT_MANDATES)
    assert body.count("{invoice_table}") == blocks.count("{invoice_table}")
    assert "{invoice_table}" not in placeholders_in(subject)


@pytest.mark.parametrize(("language", "purpose"), CASES)
@pytest.mark.parametrize("invoice_count", [1, 2])
def test_default_renders_as_text_and_html(language, purpose, invoice_count):
    subject, body = read(language, purpose)
    context = sample(language, invoice_count)
    assert "Acme BV" in render_text(subject, context)
    text = render_text(body, context)
    assert text.startswith(("Dear Lumen BV,", "Beste Lumen BV,", "Bonjour Lumen BV,", "Guten Tag Lumen BV,"))
    html = render_html(body, context)
    assert ("<table" in html) == (purpose not in ABOUT_MANDATES)
    assert "{" not in text and "}" not in text
