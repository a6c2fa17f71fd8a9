"""Browser journey: upload a customer file, read the preview, confirm, follow the import job, open the customers."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from collect.celery import app as celery_app
from customers.models import Customer
from tests.e2e.test_customers_journey import log_in
from tests.spreadsheets import csv_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_preview_confirm_and_follow_the_import(world, live_server, page):
    rows = [["external_ref", "name", "email", "language"],
            *[[f"IMP-{n:03d}", f"Imported Customer {n:03d}", f"billing{n}@imported.example", "nl"] for n in range(40)],
            ["IMP-BAD", "", "not an address", "xx"]]  # fmt: skip
    log_in(page, live_server, "owner@acme.example")
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="Import", exact=True).click()

    page.get_by_label("What does the file hold?").select_option("customers")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "klanten.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}]
    )
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_test_id("count-new")).to_have_text("40")
    expect(page.get_by_test_id("count-invalid")).to_have_text("1")
    expect(page.get_by_test_id("import-errors")).to_contain_text("name")
    page.get_by_role("button", name="Import 40 valid rows").click()
    expect(page.get_by_role("checkbox", name="Skip the 1 invalid row and import the others")).to_be_visible()
    assert not Customer.objects.filter(external_ref__startswith="IMP-").exists()  # the browser refused the form
    page.get_by_role("checkbox", name="Skip the 1 invalid row and import the others").check()
    page.get_by_role("button", name="Import 40 valid rows").click()

    expect(page.get_by_test_id("import-progress")).to_be_visible()  # queued: nothing runs the job yet
    expect(page.get_by_test_id("import-status")).to_have_text("Importing")
    with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        expect(page.get_by_test_id("import-result")).to_contain_text("40 new, 0 updated, 1 skipped", timeout=30_000)
    expect(page.get_by_test_id("import-status")).to_have_text("Imported")

    page.get_by_role("link", name="Open the customers").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    page.goto(f"{page.url}?search=Imported+Customer+007")
    expect(page.get_by_test_id("customer-count")).to_have_text("1")
    expect(page.get_by_role("link", name="Imported Customer 007")).to_be_visible()
    assert Customer.objects.filter(organization=world.org_a, external_ref__startswith="IMP-").count() == 40
