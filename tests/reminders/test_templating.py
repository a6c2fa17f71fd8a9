from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from messaging.templating import InvoiceLine, MessageContext, TemplateTextError, render_html, render_text, validate_text

pytestmark = pytest.mark.smoke


def context(language="en", name="Lumen <Design> & Co", country="BE"):
    return MessageContext(
        customer_name=name, customer_reference="C-1", contact_name="", organization_name="Acme BV",
        organization_email="finance@acme.example", organization_address="Kerkstraat 1, 1000 Brussel",
        organization_vat="BE0123456789", language=language, country=country, time_zone="Europe/Brussels",
        invoices=[
            InvoiceLine("2026-014", date(2026, 10, 1), 53, Decimal("1210.50"), "EUR"),
            InvoiceLine("2026-002", date(2026, 9, 1), 83, Decimal("99.00"), "EUR"),
        ],
    )  # fmt: skip


def test_placeholders_are_filled_from_the_oldest_invoice_and_the_total():
    text = (
        "Dear {contact_name}, invoice {invoice_number} ({days_overdue} days) - total {amount_due} for {invoice_count}."
    )
    assert render_text(text, context(name="Lumen")) == "Dear Lumen, invoice 2026-002 (83 days) - total €1,309.50 for 2."


def test_amounts_and_dates_follow_the_debtors_language():
    # A Belgian organization: each reader's language as written in Belgium.
    assert render_text("{amount_due} {oldest_due_date}", context("nl")) == "€\xa01.309,50 1 september 2026"
    assert render_text("{oldest_due_date} {amount_due}", context("fr")) == "1 septembre 2026 1\u202f309,50\xa0€"
    assert render_text("{amount_due}", context("de")) == "1.309,50\xa0€"
    assert render_text("{oldest_due_date}", context("en")) == "1 September 2026"
    # Table dates are numeric, day first in Belgium even in English (never 9/1/2026).
    assert "1/09/2026" in render_text("{invoice_table}", context("nl"))
    assert "01/09/2026" in render_text("{invoice_table}", context("en"))


def test_a_german_organization_writes_amounts_the_german_way():
    assert (
        render_text("{amount_due} {oldest_due_date}", context("de", country="DE")) == "1.309,50\xa0€ 1. September 2026"
    )


def test_unknown_placeholders_and_template_code_are_refused_with_their_names():
    with pytest.raises(TemplateTextError) as error:
        validate_text("Hi {customer_name.__class__} {secret_key} {amount_due!r} {days_overdue:>5}")
    problems = " ".join(error.value.problems)
    assert "customer_name.__class__" in problems and "secret_key" in problems
    assert "amount_due!r" not in problems or "amount_due" in problems
    assert len(error.value.problems) == 4


def test_django_template_syntax_is_never_run():
    assert render_text("{{ settings.SECRET_KEY }}", context()) == "{ settings.SECRET_KEY }"
    with pytest.raises(TemplateTextError):
        validate_text("{% load static %}")


def test_html_escapes_the_tenants_text_and_the_values():
    html = render_html("Dear {customer_name} <b>\n\n{invoice_table}", context())
    assert "Lumen &lt;Design&gt; &amp; Co &lt;b&gt;" in html
    assert "<table" in html and "2026-014" in html and "€1,210.50" in html


def test_text_version_has_a_readable_invoice_table():
    table = render_text("{invoice_table}", context())
    assert table.splitlines()[0].split()[:2] == ["Invoice", "Due"]
    assert "2026-002" in table and "€99.00" in table


def test_unbalanced_braces_are_explained():
    with pytest.raises(TemplateTextError, match="braces"):
        validate_text("Total {amount_due")
