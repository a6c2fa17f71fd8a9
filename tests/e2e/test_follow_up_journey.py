"""Browser journey: create a plan, assign it, run a pass, open the invoice and view the sent message."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from reminders.calendar import SendingWindow, next_send_time
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_create_a_plan_assign_it_run_a_pass_and_read_the_message(world, live_server, page):
    # A business day in Belgium, so the pass below is inside the sending window whatever day the test runs.
    brussels = ZoneInfo("Europe/Brussels")
    window = SendingWindow(zone=brussels)
    moment = next_send_time(
        at=datetime.combine(date.today(), time(10, 0), tzinfo=brussels), window=window, country="BE"
    )
    customer = customer_create(organization=world.org_a, name="Horizon Logistics NV", language="en", country="BE")
    contact_create(customer=customer, name="Anna Peeters", email="anna@horizon.example")
    invoice = invoice_create(
        organization=world.org_a, customer=customer, number="J-2026-77", issue_date=date(2026, 9, 1),
        due_date=moment.date() - timedelta(days=12), amount=1250,
    )  # fmt: skip

    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill("owner@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Follow-up").click()
    page.get_by_role("link", name="New plan").click()
    page.locator("#id_name").fill("Firm but fair")
    page.locator("#id_steps-0-name").fill("First reminder")
    page.locator("#id_steps-0-offset_days").fill("7")
    page.locator("#id_steps-0-purpose").select_option("reminder_1")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_text("Plan saved")).to_be_visible()

    page.goto(f"{live_server.url}/o/{world.org_a.slug}/customers/{customer.pk}/edit/")
    page.get_by_label("Follow-up plan").select_option(label="Firm but fair")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("customer-next-step")).to_contain_text("First reminder")

    # One pass as beat would run it, at a moment inside the sending window.
    call_command("run_followups", "--now", moment.isoformat(), "--organization", world.org_a.slug, stdout=StringIO())

    page.goto(f"{live_server.url}/o/{world.org_a.slug}/invoices/{invoice.pk}/")
    expect(page.locator(".timeline")).to_contain_text("Reminder sent")
    page.get_by_role("link", name="View the message as sent").click()
    expect(page.get_by_test_id("dispatch-status")).to_have_text("Sent")
    expect(page.get_by_test_id("dispatch-recipients")).to_have_text("anna@horizon.example")
    expect(page.locator("pre.mail")).to_contain_text("J-2026-77")
