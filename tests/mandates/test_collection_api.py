"""/api/v1/collection-batches/ and /api/v1/collection-debits/: build, download, paid, cancel, returns."""

from __future__ import annotations

import pytest

from invoices.models import InvoiceStatus
from mandates.models import BatchStatus, CollectionBatch
from organizations.models import ActivityLog, ApiKey

pytestmark = pytest.mark.django_db
BATCHES = "/api/v1/collection-batches/"


@pytest.fixture
def signed_invoice(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    return make_invoice(customer, amount="121.00")


def test_create_builds_a_batch_with_its_debits(world, api_a, profile, signed_invoice):
    response = api_a.post(BATCHES, {"profile": profile.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "ready" and body["item_count"] == 1 and body["total_amount"] == "121.00"
    (debit,) = body["debits"]
    assert debit["invoice_number"] == signed_invoice.number and debit["sequence_type"] == "FRST"
    assert ActivityLog.objects.filter(code="collection.batch_created", actor_api_key=ApiKey.objects.get(
        organization=world.org_a)).exists()  # fmt: skip
    listed = api_a.get(BATCHES).json()["results"]
    assert body["id"] in [row["id"] for row in listed]
    assert all(row["id"] != world.b.batch.pk for row in listed)


def test_nothing_collectable_gives_a_clear_400(world, api_a, profile):
    response = api_a.post(BATCHES, {"profile": profile.pk}, format="json")
    assert response.status_code == 400 and "Nothing to collect" in response.json()["error"]["message"]


def test_a_file_that_does_not_validate_gives_400_with_the_reason(world, api_a, profile, make_customer, sign,
                                                                 make_invoice):  # fmt: skip
    customer = make_customer()
    sign(customer)
    make_invoice(customer)
    profile.creditor_id = "BE00ZZZ0123456789"
    profile.save()
    response = api_a.post(BATCHES, {"profile": profile.pk}, format="json")
    assert response.status_code == 400 and "creditor" in response.json()["error"]["message"]


def test_foreign_profile_and_invoices_are_refused(world, api_a, profile, signed_invoice):
    assert api_a.post(BATCHES, {"profile": world.b.profile.pk}, format="json").status_code == 400
    response = api_a.post(BATCHES, {"profile": profile.pk, "invoices": [world.b.invoice.pk]}, format="json")
    assert response.status_code == 400


def test_xml_download_paid_and_return(world, api_a, profile, signed_invoice):
    batch_id = api_a.post(BATCHES, {"profile": profile.pk}, format="json").json()["id"]
    download = api_a.get(f"{BATCHES}{batch_id}/xml/")
    assert download.status_code == 200 and download["Content-Type"] == "application/xml"
    assert download.content == bytes(CollectionBatch.objects.get(pk=batch_id).xml)
    assert api_a.get(f"{BATCHES}{batch_id}/").json()["status"] == "ready"
    submitted = api_a.post(f"{BATCHES}{batch_id}/mark-submitted/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert api_a.post(f"{BATCHES}{batch_id}/mark-paid/", {}, format="json").status_code == 400
    paid = api_a.post(f"{BATCHES}{batch_id}/mark-paid/", {"paid_on": "2026-12-01"}, format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    signed_invoice.refresh_from_db()
    assert signed_invoice.status == InvoiceStatus.PAID
    debit_id = api_a.get(f"{BATCHES}{batch_id}/").json()["debits"][0]["id"]
    assert api_a.post(f"/api/v1/collection-debits/{debit_id}/return/", {"reason_code": "ZZ99"},
                      format="json").status_code == 400  # fmt: skip
    returned = api_a.post(f"/api/v1/collection-debits/{debit_id}/return/", {"reason_code": "MD06"}, format="json")
    assert returned.status_code == 200 and returned.json()["return_reason"] == "MD06"
    signed_invoice.refresh_from_db()
    assert signed_invoice.status == InvoiceStatus.OPEN
    again = api_a.post(f"/api/v1/collection-debits/{debit_id}/return/", {"reason_code": "MD06"}, format="json")
    assert again.status_code == 400 and "already returned" in again.json()["error"]["message"]


def test_cancel(world, api_a, profile, signed_invoice):
    batch_id = api_a.post(BATCHES, {"profile": profile.pk}, format="json").json()["id"]
    response = api_a.post(f"{BATCHES}{batch_id}/cancel/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == BatchStatus.CANCELLED
    signed_invoice.refresh_from_db()
    assert signed_invoice.collection_requested_at is None
    assert api_a.post(f"{BATCHES}{batch_id}/cancel/", {}, format="json").status_code == 400


def test_another_tenants_batches_and_debits_are_not_found(world, api_a):
    assert api_a.get(f"{BATCHES}{world.b.batch.pk}/").status_code == 404
    assert api_a.get(f"{BATCHES}{world.b.batch.pk}/xml/").status_code == 404
    assert api_a.post(f"{BATCHES}{world.b.batch.pk}/cancel/", {}, format="json").status_code == 404
    assert api_a.post(f"{BATCHES}{world.b.batch.pk}/mark-paid/", {"paid_on": "2026-12-01"},
                      format="json").status_code == 404  # fmt: skip
    assert api_a.post(f"/api/v1/collection-debits/{world.b.debit.pk}/return/", {"reason_code": "AM04"},
                      format="json").status_code == 404  # fmt: skip
    world.b.batch.refresh_from_db()
    assert world.b.batch.status == BatchStatus.READY


def test_read_only_key_cannot_build(world, api_client, profile, signed_invoice):
    from organizations.services import api_key_create

    _key, secret = api_key_create(organization=world.org_a, name="Reader")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.post(BATCHES, {"profile": profile.pk}, format="json").status_code == 403
    assert api_client.get(BATCHES).status_code == 200


def test_read_only_key_downloads_the_file_without_submitting_the_batch(world, api_a, profile, signed_invoice):
    from rest_framework.test import APIClient

    from organizations.services import api_key_create

    batch_id = api_a.post(BATCHES, {"profile": profile.pk}, format="json").json()["id"]
    _key, secret = api_key_create(organization=world.org_a, name="Reader")
    reader = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert reader.get(f"{BATCHES}{batch_id}/xml/").status_code == 200
    assert reader.post(f"{BATCHES}{batch_id}/mark-submitted/").status_code == 403
    batch = CollectionBatch.objects.get(pk=batch_id)
    assert batch.status == BatchStatus.READY and batch.submitted_at is None
    assert not ActivityLog.objects.filter(code="collection.batch_submitted", subject_id=batch_id).exists()
    # Still ready, so it can still be withdrawn.
    assert api_a.post(f"{BATCHES}{batch_id}/cancel/").json()["status"] == "cancelled"


def test_schema_documents_the_collection_endpoints(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/collection-batches/", "/api/v1/collection-batches/{id}/xml/",
                 "/api/v1/collection-batches/{id}/mark-paid/", "/api/v1/collection-batches/{id}/cancel/",
                 "/api/v1/collection-debits/{id}/return/"):  # fmt: skip
        assert path in schema
