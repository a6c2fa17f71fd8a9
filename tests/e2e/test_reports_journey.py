"""Browser journey: an account manager logs in, lands on their portfolio, opens a report and drills down to the
invoices behind one of its amounts."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.stats import customers_refresh_stats_for_organization
from invoices.ledger import ledger_rebuild
from tests.factories import PASSWORD, CustomerFactory, InvoiceFactory, MembershipFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_account_manager_portfolio_report_and_drill_down(world, live_server, page):
    other = MembershipFactory(tenant=world.tenant_a, is_account_manager=True, user__email="other@acme.example")
    overdue = date.today() - timedelta(days=45)
    for index in range(3):
        customer = CustomerFactory(organization=world.org_a, account_manager=world.manager_a, name=f"Mine {index}")
        InvoiceFactory(
            customer=customer, number=f"MINE-{index}", issue_date=overdue, due_date=overdue, amount=Decimal("100.00")
        )
    customer = CustomerFactory(organization=world.org_a, account_manager=other, name="Someone else's")
    InvoiceFactory(customer=customer, number="THEIRS-1", issue_date=overdue, due_date=overdue)
    # The factories bypass the services that keep the customers' figures and the ledger.
    customers_refresh_stats_for_organization(organization=world.org_a)
    ledger_rebuild(organization=world.org_a)

    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill("manager@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    manager = str(world.manager_a.user)
    expect(page.get_by_role("heading", name=f"Portfolio of {manager}")).to_be_visible()
    expect(page.get_by_test_id("summary-EUR")).to_contain_text("3 open invoices")
    expect(page.get_by_test_id("summary-EUR")).to_contain_text("300.00")
    expect(page.get_by_test_id("top-overdue")).to_contain_text("Mine 0")
    expect(page.get_by_test_id("top-overdue")).not_to_contain_text("Someone else's")
    expect(page.get_by_test_id("scope-switch")).to_have_count(0)  # a member who manages accounts has no switch

    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Aging per account manager").click()
    table = page.get_by_test_id("report-table")
    expect(table).to_contain_text(manager)
    expect(table).not_to_contain_text(str(other.user))
    expect(page.locator(".aging-bar .aging-31_60").first).to_have_attribute("style", re.compile("width: 100%"))
    expect(page.get_by_role("button", name="Print")).to_be_visible()

    table.locator("td[data-column='31_60'] a").first.click()
    expect(page.get_by_test_id("invoice-count")).to_have_text("3")
    invoices = page.get_by_test_id("invoice-table")
    for index in range(3):
        expect(invoices).to_contain_text(f"MINE-{index}")
    expect(invoices).not_to_contain_text("THEIRS-1")
