"""Browser journey in Debian's Chromium: log in, switch organization, see the customers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_log_in_switch_organization_and_see_customers(world, live_server, page):
    from customers.models import Customer

    Customer.objects.create(organization=world.org_a2, name="Polder Transport B.V.", external_ref="NL-1")
    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill("owner@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Acme Belgium")).to_be_visible()

    page.get_by_test_id("organization-switcher").select_option("acme-nl")
    expect(page.get_by_role("heading", name="Acme Nederland")).to_be_visible()

    page.get_by_role("link", name="Customers").click()
    table = page.get_by_test_id("customer-table")
    expect(table).to_contain_text("Polder Transport B.V.")
    expect(table).not_to_contain_text("Acme Customer")  # acme-be's customer stays in acme-be
    page.get_by_role("link", name="Polder Transport B.V.").click()
    expect(page.get_by_role("heading", name="Polder Transport B.V.")).to_be_visible()
    expect(page.get_by_text("Customer created")).to_have_count(0)  # created outside the app: no timeline entry
