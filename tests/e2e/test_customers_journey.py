"""Browser journey: filter customers, select all matching, run a bulk action, open a customer, see its timeline."""

from __future__ import annotations

import re

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from collect.celery import app as celery_app
from customers.models import Customer
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, email):
    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_filter_select_all_matching_assign_and_see_the_timeline(world, live_server, page):
    Customer.objects.bulk_create(
        [Customer(organization=world.org_a, name=f"Société {n:03d}", language="fr") for n in range(60)]
        + [Customer(organization=world.org_a, name=f"Firma {n}", language="de") for n in range(5)]
    )
    log_in(page, live_server, "owner@acme.example")
    page.get_by_role("link", name="Customers").click()

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Language", exact=True).select_option("fr")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".chip")).to_contain_text("Language")
    expect(page.get_by_test_id("customer-count")).to_have_text("60")

    page.get_by_label("Select all on this page").check()
    page.get_by_role("button", name=re.compile("Select all 60 customers matching this filter")).click()
    expect(page.locator("#selection-summary")).to_contain_text("60")
    page.get_by_label("Bulk action").select_option("assign_account_manager")
    page.get_by_role("button", name="Apply to selection").click()

    expect(page.get_by_test_id("bulk-count")).to_contain_text("60 customers")
    page.get_by_label("Account manager").select_option(label=str(world.manager_a.user))
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        page.get_by_role("button", name="Apply to 60 customers").click()
        expect(page.get_by_test_id("job-summary")).to_contain_text("60 succeeded", timeout=30_000)

    assert Customer.objects.filter(language="fr", account_manager=world.manager_a).count() == 60
    assert Customer.objects.filter(language="de", account_manager__isnull=False).count() == 0

    page.goto(f"{live_server.url}/o/{world.org_a.slug}/customers/?language=fr")
    page.get_by_role("link", name="Société 007").click()
    expect(page.get_by_role("heading", name="Société 007")).to_be_visible()
    manager = world.manager_a.user.get_full_name()
    expect(page.locator(".timeline")).to_contain_text(f"Account manager set to {manager}")
    expect(page.locator(".timeline")).to_contain_text(str(world.owner_a.user))

    page.goto(f"{live_server.url}/o/{world.org_a.slug}/customers/?language=fr")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as exported_file:
        exported = exported_file.read()
    assert exported.count("Société") == 60 and "Firma" not in exported  # the export follows the filter
