"""The Collections pages: list, new batch with preview, detail with download, paid, return and cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from invoices.models import InvoiceStatus
from mandates.models import BatchStatus, CollectionBatch, DebitStatus
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    return make_invoice(customer, amount="121.00"), make_invoice(customer, amount="79.00")


def url(world, name, *args):
    return reverse(f"collections:{name}", args=[world.org_a.slug, *args])


def test_new_batch_shows_a_preview_before_it_is_created(world, owner_a_client, profile, ready):
    page = owner_a_client.get(url(world, "create"))
    assert page.status_code == 200 and "Earliest collection date" in page.content.decode()
    before = CollectionBatch.objects.count()
    preview = owner_a_client.post(url(world, "create"), {"profile": profile.pk})
    html = preview.content.decode()
    assert 'data-testid="batch-preview"' in html and "200.00" in html and "Create the batch" in html
    assert CollectionBatch.objects.count() == before
    created = owner_a_client.post(url(world, "create"), {"profile": profile.pk, "confirm": "1"})
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    assert created.status_code == 302 and created.url == url(world, "detail", batch.pk)
    detail = owner_a_client.get(created.url).content.decode()
    assert ready[0].number in detail and batch.items.first().end_to_end_id in detail and "FRST" in detail
    listing = owner_a_client.get(url(world, "list")).content.decode()
    assert url(world, "detail", batch.pk) in listing and "Collections" in listing


def test_nothing_collectable_is_explained_on_the_page(world, owner_a_client, profile):
    response = owner_a_client.post(url(world, "create"), {"profile": profile.pk, "confirm": "1"})
    assert response.status_code == 400 and "Nothing to collect" in response.content.decode()


def test_another_tenants_profile_cannot_be_chosen(world, owner_a_client):
    response = owner_a_client.post(url(world, "create"), {"profile": world.b.profile.pk, "confirm": "1"})
    assert response.status_code == 400


def test_download_paid_and_return_from_the_batch_page(world, owner_a_client, profile, ready):
    owner_a_client.post(url(world, "create"), {"profile": profile.pk, "confirm": "1"})
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    invoice = ready[0]
    invoice_page = owner_a_client.get(reverse("invoices:detail", args=[world.org_a.slug, invoice.pk])).content.decode()
    assert "Collection requested on" in invoice_page and url(world, "detail", batch.pk) in invoice_page
    download = owner_a_client.get(url(world, "xml", batch.pk))
    assert download["Content-Type"] == "application/xml" and download.content == bytes(batch.xml)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.READY
    assert "It can no longer be cancelled." in owner_a_client.get(url(world, "detail", batch.pk)).content.decode()
    owner_a_client.post(url(world, "submit", batch.pk))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUBMITTED
    owner_a_client.post(url(world, "paid", batch.pk), {"paid_on": (batch.collection_date).isoformat()})
    batch.refresh_from_db()
    invoice.refresh_from_db()
    assert batch.status == BatchStatus.PAID and invoice.status == InvoiceStatus.PAID
    item = batch.items.get(invoice=invoice)
    owner_a_client.post(url(world, "return", item.pk), {"reason_code": "AM04"})
    item.refresh_from_db()
    invoice.refresh_from_db()
    assert (item.status, item.return_reason, invoice.status) == (DebitStatus.RETURNED, "AM04", InvoiceStatus.OPEN)
    detail = owner_a_client.get(url(world, "detail", batch.pk)).content.decode()
    assert "AM04" in detail and "Direct-debit batch marked as paid" in detail
    assert ActivityLog.objects.filter(code="collection.batch_downloaded", actor_user=world.owner_a.user).exists()


def test_cancel_from_the_batch_page_releases_the_invoices(world, owner_a_client, profile, ready):
    owner_a_client.post(url(world, "create"), {"profile": profile.pk, "confirm": "1",
                                               "collection_date": "2099-01-05"})  # fmt: skip
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    assert batch.collection_date.isoformat() == "2099-01-05"
    owner_a_client.post(url(world, "cancel", batch.pk))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    assert all(invoice.collection_requested_at is None for invoice in [*ready] if not invoice.refresh_from_db())
    # The file of a cancelled batch is no longer offered.
    response = owner_a_client.get(url(world, "xml", batch.pk))
    assert response.status_code == 302


def test_paid_needs_a_date(world, owner_a_client, profile, ready):
    owner_a_client.post(url(world, "create"), {"profile": profile.pk, "confirm": "1"})
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    response = owner_a_client.post(url(world, "paid", batch.pk), {"paid_on": ""}, follow=True)
    assert "Enter the date the bank collected the batch." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.READY
    assert batch.collection_date > batch.created_at.date() + timedelta(days=0)
