"""Times, dates and amounts in what is mailed and shown to staff: the organization's zone and country, the reader's
language, whatever the worker thread or the season (the switch to and from summer time in Europe/Brussels)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from mailroom.models import StoredEmail
from messaging.delivery import deliver_one
from messaging.models import Dispatch, StepChannel
from reminders.engine import explain
from reminders.manual import reminder_send_now
from reminders.models import FollowUpStep


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def owed(world, customer, number: str, due: date, amount: str = "500.00"):
    return invoice_create(
        organization=world.org_a,
        customer=customer,
        number=number,
        issue_date=date(2026, 1, 1),
        due_date=due,
        amount=Decimal(amount),
    )


@pytest.fixture
def dutch_debtor(world):
    customer = customer_create(
        organization=world.org_a, name="Bakkerij Peeters", external_ref="P-1", language="nl", country="BE"
    )
    contact_create(customer=customer, name="Jan Peeters", email="jan@peeters.example")
    return customer


def test_a_reminder_sent_by_the_background_job_writes_amounts_and_dates_as_in_belgium(
    world, dutch_debtor, owner_a_client
):
    FollowUpStep.objects.create(
        organization=world.org_a,
        plan=world.a.plan,
        position=1,
        name="Herinnering",
        offset_days=7,
        channel=StepChannel.EMAIL,
        purpose="reminder_1",
    )
    # Thursday 10 December 2026, 09:30 in Brussels: the reminder 7 days after the due date is due.
    with time_machine.travel(at("2026-12-10T08:30:00"), tick=False):
        owed(world, dutch_debtor, "2026-0042", date(2026, 12, 3), amount="1234.56")
        # The worker thread last served someone else, in English and another zone: it must not leak into the mail.
        with translation.override("en"), timezone.override(timezone.get_fixed_timezone(-300)):
            call_command("run_followups", stdout=io.StringIO())
    mail = StoredEmail.objects.get(to=["jan@peeters.example"])
    assert mail.subject.startswith("Betalingsherinnering")
    assert "Totaal openstaand bedrag: €\xa01.234,56" in mail.text_body
    row = next(line for line in mail.text_body.splitlines() if line.startswith("2026-0042"))
    assert row.split()[1:3] == ["3/12/2026", "7"] and row.endswith("€\xa01.234,56")
    assert "<td" in mail.html_body and ">3/12/2026</td>" in mail.html_body and "€\xa01.234,56" in mail.html_body
    assert "1234.56" not in mail.text_body and "EUR" not in mail.text_body
    # Staff see when it was due to go out in Brussels time, with the zone.
    dispatch = Dispatch.objects.get(customer=dutch_debtor)
    detail = owner_a_client.get(reverse("follow_up:dispatch", args=[world.org_a.slug, dispatch.pk])).content.decode()
    local = dispatch.scheduled_for.astimezone(ZoneInfo("Europe/Brussels"))
    assert f'data-testid="scheduled-for">{local:%d/%m/%Y %H:%M} CET</dd>' in detail


def test_days_overdue_count_in_brussels_on_the_night_summer_time_ends(world, dutch_debtor):
    # Saturday 24 October 2026, 22:30 UTC is already Sunday 25 October, 00:30 summer time in Brussels.
    invoice = owed(world, dutch_debtor, "2026-0099", date(2026, 10, 15), amount="80.00")
    with time_machine.travel(at("2026-10-24T22:30:00"), tick=False):
        body = "{days_overdue} dagen te laat: {amount_due}"
        dispatch = reminder_send_now(
            organization=world.org_a,
            invoice_ids=[invoice.pk],
            actor=world.owner_a.user,
            subject="Herinnering",
            body=body,
        )
        deliver_one(dispatch_id=dispatch.pk)
    mail = StoredEmail.objects.get(to=["jan@peeters.example"])
    assert mail.text_body.strip() == "10 dagen te laat: €\xa080,00"


def upcoming_rows(client, world) -> dict[str, str]:
    """Invoice number -> the "When" cell of Follow-up > Upcoming."""
    page = client.get(reverse("follow_up:upcoming", args=[world.org_a.slug])).content.decode()
    table = page.split('data-testid="upcoming"', 1)[1]
    rows = {}
    for row in table.split("<tr>")[2:]:
        cells = [cell.split("</td>", 1)[0] for cell in row.split("<td")[1:]]
        when = cells[0].split(">", 1)[1].strip()
        number = cells[2].split("</a>", 1)[0].rsplit(">", 1)[1]
        rows[number] = when
    return rows


@pytest.mark.parametrize(
    ("today", "before", "after"),
    [
        # Summer time starts on Sunday 29 March 2026: Friday 27 is still CET, Monday 30 is CEST.
        (
            "2026-03-25T10:00:00",
            ("S-1", date(2026, 3, 30), "27/03/2026 09:00 CET"),
            ("S-2", date(2026, 4, 2), "30/03/2026 09:00 CEST"),
        ),
        # Summer time ends on Sunday 25 October 2026: Friday 23 is CEST, Monday 26 is CET.
        (
            "2026-10-21T10:00:00",
            ("W-1", date(2026, 10, 26), "23/10/2026 09:00 CEST"),
            ("W-2", date(2026, 10, 29), "26/10/2026 09:00 CET"),
        ),
    ],
)
def test_upcoming_and_the_next_step_show_the_window_opening_in_local_time_across_the_clock_change(
    world, plan, debtor, owner_a_client, today, before, after
):
    with time_machine.travel(at(today), tick=False):
        invoices = {number: owed(world, debtor, number, due) for number, due, _when in (before, after)}
        rows = upcoming_rows(owner_a_client, world)
        for number, _due, when in (before, after):
            # The sending window opens at 09:00 in Brussels on both sides of the change (07:00 or 08:00 UTC).
            assert rows[number] == when
            page = owner_a_client.get(reverse("invoices:detail", args=[world.org_a.slug, invoices[number].pk]))
            assert f"Friendly reminder · {when}" in page.content.decode()
        customer_page = owner_a_client.get(reverse("customers:detail", args=[world.org_a.slug, debtor.pk]))
        assert before[2] in customer_page.content.decode()


def test_a_pause_note_gives_the_date_as_the_organization_writes_it(world, plan, debtor, owner_a_client):
    debtor.follow_up_paused_until = date(2026, 12, 24)
    debtor.save(update_fields=["follow_up_paused_until"])
    with time_machine.travel(at("2026-12-15T10:00:00"), tick=False):
        invoice = owed(world, debtor, "P-1", date(2026, 12, 18))
        with translation.override("en"):
            explanation = explain(invoice)
    assert "The customer is paused until 24/12/2026." in explanation.notes


def test_a_message_held_after_hours_says_when_it_goes_out_in_local_time(world, dutch_debtor):
    world.org_a.default_language = "en"
    world.org_a.save(update_fields=["default_language"])
    FollowUpStep.objects.create(
        organization=world.org_a,
        plan=world.a.plan,
        position=1,
        name="Reminder",
        offset_days=7,
        channel=StepChannel.EMAIL,
        purpose="reminder_1",
    )
    owed(world, dutch_debtor, "2026-0123", date(2026, 10, 16))
    # Friday 23 October 2026, 17:30 summer time: the window has closed; it reopens on Monday, in winter time.
    with time_machine.travel(at("2026-10-23T15:30:00"), tick=False):
        call_command("run_followups", stdout=io.StringIO())
    dispatch = Dispatch.objects.get(customer=dutch_debtor)
    assert dispatch.status == "queued" and not StoredEmail.objects.filter(to=["jan@peeters.example"]).exists()
    assert dispatch.reason == "Waiting for the next business day or hour: 26/10/2026 09:00 CET."
    assert dispatch.next_attempt_at == at("2026-10-26T08:00:00")
