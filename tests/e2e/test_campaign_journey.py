"""Browser journey for SEPA campaigns: filter customers (valid e-mail, with invoices, without agreements), select
all matching, invite them into a new campaign, open the link as a customer, sign, and watch the funnel move."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from campaigns.messages import MANDATE_INVITATION
from campaigns.models import Invitation
from collect.celery import app as celery_app
from customers.stats import customers_refresh_stats
from mailroom.models import StoredEmail
from mandates.models import MandateState
from messaging.delivery import deliver_one
from messaging.models import Dispatch
from tests.e2e.test_customers_journey import log_in
from tests.factories import ContactFactory, CustomerFactory, InvoiceFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/sign/[A-Za-z0-9_\-.]+/")


def test_invite_filtered_customers_sign_as_one_and_see_the_funnel_move(world, live_server, page, settings):
    settings.SITE_URL = live_server.url
    # 52 customers match (more than one page of 50): a valid e-mail, an invoice, no agreement yet.
    wanted = []
    for n in range(52):
        customer = CustomerFactory(organization=world.org_a, name=f"Bakkerij {n:02d}", type="company", language="en",
                                   street="Markt 1", postal_code="9000", city="Gent", country="BE")  # fmt: skip
        ContactFactory(customer=customer, email=f"bakkerij{n}@example.be")
        InvoiceFactory(customer=customer, number=f"B-{n:03d}", amount=Decimal("120.00"))
        wanted.append(customer)
    # Not matching: no e-mail; no invoice.
    no_email = CustomerFactory(organization=world.org_a, name="Zonder Mail")
    InvoiceFactory(customer=no_email, number="Z-1", amount=Decimal("50.00"))
    no_invoice = CustomerFactory(organization=world.org_a, name="Zonder Factuur")
    ContactFactory(customer=no_invoice, email="zonder@example.be")
    customers_refresh_stats(customer_ids=[c.pk for c in [*wanted, no_email, no_invoice]])

    log_in(page, live_server, "owner@acme.example")
    page.get_by_role("link", name="Customers").click()
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Valid e-mail", exact=True).select_option("true")
    page.get_by_label("Invoices", exact=True).select_option("true")
    page.get_by_label("Agreements", exact=True).select_option("false")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("customer-count")).to_have_text("52")

    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name=re.compile("Select all 52 customers matching this filter")).click()
    expect(page.locator("#selection-summary")).to_contain_text("52")
    page.get_by_label("Bulk action").select_option("invite_to_sign")
    page.get_by_role("button", name="Apply to selection").click()
    page.get_by_label("Mandate profile").select_option(label=world.a.profile.name)
    page.get_by_label("Name of the new campaign").fill("Winter 2026")
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        page.get_by_role("button", name="Apply to 52 customers").click()
        expect(page.get_by_test_id("job-summary")).to_contain_text("52 succeeded", timeout=30_000)

    invitations = Invitation.objects.filter(campaign__name="Winter 2026")
    assert invitations.count() == 52
    # The invitation e-mails go out through the outbox; deliver them as the worker's tick would.
    mandate_ids = invitations.values_list("mandate_id", flat=True)
    for dispatch in Dispatch.objects.filter(kind=MANDATE_INVITATION, subject_id__in=mandate_ids):
        deliver_one(dispatch_id=dispatch.pk)
    mail = StoredEmail.objects.get(to=["bakkerij3@example.be"])
    link = LINK.search(mail.text_body).group(0)

    page.goto(f"{live_server.url}/o/{world.org_a.slug}/campaigns/")
    page.get_by_role("link", name="Winter 2026").click()
    expect(page.get_by_test_id("funnel-invited")).to_have_text("52")
    expect(page.get_by_test_id("funnel-signed")).to_have_text("0")

    # The customer opens the link in a fresh browser context (no staff session) and signs.
    debtor = page.context.browser.new_context()
    debtor_page = debtor.new_page()
    debtor_page.goto(link)
    debtor_page.get_by_label("IBAN").fill("BE71 0961 2345 6769")
    debtor_page.get_by_label("I have read the text above and agree to it.").check()
    debtor_page.get_by_label("Type your full name to sign").fill("Bakkerij 03")
    debtor_page.get_by_role("button", name="Sign the mandate").click()
    expect(debtor_page.get_by_test_id("thanks")).to_be_visible()
    debtor.close()

    page.reload()
    expect(page.get_by_test_id("funnel-signed")).to_have_text("1")
    expect(page.get_by_test_id("funnel-opened")).to_have_text(re.compile(r"^[1-9]"))
    expect(page.get_by_test_id("percent-signed")).to_have_text("2%")  # 1 of 52
    invitation = invitations.get(customer__name="Bakkerij 03")
    assert invitation.mandate.state == MandateState.SIGNED
