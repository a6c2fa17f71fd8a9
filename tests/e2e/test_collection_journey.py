"""Browser journey: open Collections, start a batch, read the preview (an invoice not yet due is absent),
exclude a customer with the keyboard, create the batch and find exactly the remaining debits on its page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.services import contact_create, customer_create
from invoices.services import invoice_create
from mandates.models import CollectionBatch, Mandate
from mandates.services import mandate_transition, references_allocate
from tests.e2e.test_customers_journey import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_customer(world, name: str, number: int):
    customer = customer_create(
        organization=world.org_a, name=name, external_ref=f"DD-{number}", language="en", country="BE"
    )
    contact_create(customer=customer, name=name, email=f"finance{number}@debtor.example")
    profile = world.a.profile
    (reference,) = references_allocate(organization=world.org_a, prefix=profile.reference_prefix)
    mandate = Mandate.objects.create(
        organization=world.org_a,
        customer=customer,
        profile=profile,
        reference=reference,
        debtor_name=name,
        iban="BE68539007547034",
        language="en",
    )
    mandate_transition(
        mandate=mandate,
        to="signed",
        signature_method="typed_name",
        signer_name=name,
        signed_at=timezone.now() - timedelta(days=1),
    )
    return customer


def invoice(world, customer, number: str, amount: str, due_in_days: int):
    today = timezone.localdate()
    return invoice_create(
        organization=world.org_a,
        customer=customer,
        number=number,
        amount=Decimal(amount),
        issue_date=today - timedelta(days=30),
        due_date=today + timedelta(days=due_in_days),
        currency="EUR",
    )


def test_preview_exclude_a_customer_and_create_the_batch(world, live_server, page):
    profile = world.a.profile
    profile.pre_notification_days = 5
    profile.save()
    lumen, orbit = signed_customer(world, "Lumen BV", 1), signed_customer(world, "Orbit NV", 2)
    invoice(world, lumen, "LUM-001", "121.00", -20)
    invoice(world, lumen, "LUM-002", "79.50", -5)
    invoice(world, lumen, "LUM-003", "300.00", 60)  # falls due long after the collection date
    invoice(world, orbit, "ORB-001", "45.00", -10)

    log_in(page, live_server, "owner@acme.example")
    page.get_by_role("link", name="Collections").click()
    page.get_by_role("link", name="New batch").click()
    page.get_by_label("Mandate profile").select_option(label="Core")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state()  # the preview's script counts the ticked boxes once it has run

    table = page.get_by_test_id("preview-debits")
    expect(table).to_contain_text("LUM-001")
    expect(table).to_contain_text("ORB-001")
    expect(table).not_to_contain_text("LUM-003")
    expect(page.get_by_test_id("not-yet-due")).to_contain_text("One invoice falls due after")
    expect(page.locator("#selected-count")).to_have_text("3")

    exclude_orbit = page.get_by_role("checkbox", name="Exclude all of Orbit NV")
    exclude_orbit.focus()
    page.keyboard.press("Space")
    expect(exclude_orbit).to_be_checked()
    expect(page.locator("#selected-count")).to_have_text("2")
    expect(page.locator("#excluded-count")).to_have_text("1")

    page.get_by_role("button", name="Update the preview").click()
    expect(page.get_by_role("checkbox", name="Exclude all of Orbit NV")).to_be_checked()
    expect(page.get_by_test_id("preview-count")).to_have_text("2")
    expect(page.get_by_test_id("preview-total")).to_have_text("€200.50")

    page.get_by_role("button", name="Create the batch").click()
    expect(page.get_by_role("heading", name="Collection of")).to_be_visible()
    debits = page.get_by_test_id("debits").locator("tbody tr")
    expect(debits).to_have_count(2)
    expect(page.get_by_test_id("debits")).to_contain_text("LUM-001")
    expect(page.get_by_test_id("debits")).to_contain_text("LUM-002")
    expect(page.get_by_test_id("debits")).not_to_contain_text("ORB-001")
    expect(page.get_by_test_id("batch-options")).to_contain_text("One debit was excluded before creating the batch.")

    batch = CollectionBatch.objects.get(organization=world.org_a, item_count=2)
    assert sorted(batch.items.values_list("invoice__number", flat=True)) == ["LUM-001", "LUM-002"]
    assert batch.total_amount == Decimal("200.50") and not batch.include_not_yet_due
