"""What is mailed and printed reads as each of the four languages writes money and dates, for a Belgian
organization: a reminder e-mail sent by the background job (the signed mandate PDF: tests/mandates)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from mailroom.models import StoredEmail
from messaging.models import StepChannel
from reminders.models import FollowUpStep

NBSP, NNBSP = "\u00a0", "\u202f"
# language -> (the amount 1234.56 in euro, the due date 3 December 2026, the signing day in words)
EXPECTED = {
    "en": ("€1,234.56", "03/12/2026", "3 December 2026"),
    "nl": (f"€{NBSP}1.234,56", "3/12/2026", "3 december 2026"),
    "fr": (f"1{NNBSP}234,56{NBSP}€", "3/12/2026", "3 décembre 2026"),
    "de": (f"1.234,56{NBSP}€", "03.12.2026", "3. Dezember 2026"),
}


@pytest.mark.parametrize("language", EXPECTED)
def test_a_reminder_e_mail_writes_money_and_dates_in_the_debtors_language(world, language):
    amount, due, _ = EXPECTED[language]
    FollowUpStep.objects.create(
        organization=world.org_a,
        plan=world.a.plan,
        position=1,
        name="Reminder",
        offset_days=7,
        channel=StepChannel.EMAIL,
        purpose="reminder_1",
    )
    customer = customer_create(
        organization=world.org_a, name="Debtor", external_ref="L-1", language=language, country="BE"
    )
    contact_create(customer=customer, name="Debtor", email="debtor@example.be")
    # Thursday 10 December 2026, 09:30 in Brussels: 7 days after the due date.
    with time_machine.travel(datetime(2026, 12, 10, 8, 30, tzinfo=UTC), tick=False):
        invoice_create(
            organization=world.org_a,
            customer=customer,
            number="L-2026-1",
            issue_date=date(2026, 11, 1),
            due_date=date(2026, 12, 3),
            amount=Decimal("1234.56"),
        )
        call_command("run_followups", stdout=io.StringIO())
    mail = StoredEmail.objects.get(to=["debtor@example.be"])
    row = next(line for line in mail.text_body.splitlines() if line.startswith("L-2026-1"))
    assert due in row and row.endswith(amount)
    assert "1234.56" not in mail.text_body and "1234,56" not in mail.text_body
