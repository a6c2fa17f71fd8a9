"""Browser journey: switch on review for a plan, run a pass, approve one message in bulk, deliver, sent once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from mailroom.models import StoredEmail
from messaging.models import Dispatch, DispatchStatus
from reminders.calendar import SendingWindow, next_send_time
from reminders.models import FollowUpPlan, FollowUpStep
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
BRUSSELS = ZoneInfo("Europe/Brussels")


def run_pass(world, moment):
    call_command("run_followups", "--now", moment.isoformat(), "--organization", world.org_a.slug, stdout=StringIO())


def mails_to(address):
    return [mail for mail in StoredEmail.objects.all() if address in mail.to]


def test_review_a_plans_messages_and_approve_one_in_bulk(world, live_server, page):
    window = SendingWindow(zone=BRUSSELS)
    moment = next_send_time(
        at=datetime.combine(date.today(), time(10, 0), tzinfo=BRUSSELS), window=window, country="BE"
    )
    plan = FollowUpPlan.objects.create(organization=world.org_a, name="Careful")
    FollowUpStep.objects.create(
        organization=world.org_a,
        plan=plan,
        position=1,
        name="First reminder",
        offset_days=7,
        channel="email",
        purpose="reminder_1",
    )
    for name, address, number in (
        ("Horizon Logistics NV", "anna@horizon.example", "H-1"),
        ("Kade Bakery BV", "piet@kade.example", "K-1"),
    ):
        customer = customer_create(
            organization=world.org_a, name=name, language="en", country="BE", follow_up_plan=plan
        )
        contact_create(customer=customer, name=name.split()[0], email=address)
        invoice_create(
            organization=world.org_a,
            customer=customer,
            number=number,
            issue_date=date(2026, 9, 1),
            due_date=moment.date() - timedelta(days=12),
            amount=1250,
        )

    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill("owner@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Follow-up").click()
    page.get_by_role("link", name="Careful").click()
    page.get_by_label("Review messages before sending").check()
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Plan saved")).to_be_visible()

    run_pass(world, moment)
    assert mails_to("anna@horizon.example") == [] and mails_to("piet@kade.example") == []

    page.get_by_role("link", name="Follow-up").first.click()
    page.get_by_test_id("to-approve-link").click()
    table = page.get_by_test_id("to-approve")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("anna@horizon.example")
    expect(table).to_contain_text("€1,250.00")
    page.get_by_label("Select the message to Horizon Logistics NV").check()
    expect(page.locator("#review-summary")).to_have_text("1 selected")
    page.locator("#review-action").select_option("approve")
    page.get_by_role("button", name="Apply to selection").click()
    expect(page.get_by_text("1 message approved")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Kade Bakery BV")

    # The next passes, from the next sending window on: the approved message goes out once, the other waits.
    opens = max(moment, next_send_time(at=timezone.now(), window=window, country="BE"))
    for minutes in (1, 2):
        run_pass(world, opens + timedelta(minutes=minutes))
    assert len(mails_to("anna@horizon.example")) == 1 and mails_to("piet@kade.example") == []
    approved = Dispatch.objects.get(customer__name="Horizon Logistics NV")
    assert approved.status == DispatchStatus.SENT
    page.goto(f"{live_server.url}/o/{world.org_a.slug}/follow-up/messages/{approved.pk}/")
    expect(page.get_by_test_id("dispatch-status")).to_have_text("Sent")
    page.goto(f"{live_server.url}/o/{world.org_a.slug}/follow-up/messages/?status=sent")
    expect(page.locator("tbody tr", has_text="Horizon Logistics NV")).to_have_count(1)
