from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from invoices.models import Invoice
from messaging.models import Dispatch
from organizations.idempotency import idempotency_keys_expire
from organizations.models import IdempotencyKey, IdempotencyStatus
from organizations.tasks import expire_idempotency_keys

pytestmark = pytest.mark.django_db


def invoice_body(number: str = "2026-900", amount: str = "250.00") -> dict:
    return {
        "number": number,
        "customer_ref": "C-1",
        "issue_date": "2026-11-01",
        "due_date": "2026-11-30",
        "amount": amount,
    }


def post_invoice(client, key: str, body: dict):
    return client.post("/api/v1/invoices/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_and_body_creates_one_invoice_and_replays_the_response(world, api_a):
    first = post_invoice(api_a, "k-1", invoice_body())
    again = post_invoice(api_a, "k-1", invoice_body())
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Invoice.objects.filter(organization=world.org_a, number="2026-900").count() == 1


def test_same_key_with_another_body_is_refused(world, api_a):
    assert post_invoice(api_a, "k-1", invoice_body()).status_code == 201
    response = post_invoice(api_a, "k-1", invoice_body(amount="999.00"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert "another request" in response.json()["error"]["message"]
    assert Invoice.objects.get(organization=world.org_a, number="2026-900").amount == 250


def test_same_key_on_another_path_is_refused(world, api_a):
    assert post_invoice(api_a, "k-1", invoice_body()).status_code == 201
    response = api_a.post(
        "/api/v1/customers/", {"name": "X", "external_ref": "X"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 422


def test_different_keys_do_the_work_twice(world, api_a):
    assert post_invoice(api_a, "k-1", invoice_body("A-1")).status_code == 201
    assert post_invoice(api_a, "k-2", invoice_body("A-2")).status_code == 201
    assert Invoice.objects.filter(organization=world.org_a, number__in=["A-1", "A-2"]).count() == 2


def test_without_a_key_nothing_is_stored(world, api_a):
    assert api_a.post("/api/v1/invoices/", invoice_body(), format="json").status_code == 201
    assert not IdempotencyKey.objects.exists()


def test_another_tenant_with_the_same_key_is_independent(world, api_a, api_client):
    assert post_invoice(api_a, "shared", invoice_body()).status_code == 201
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    response = post_invoice(api_client, "shared", invoice_body(amount="10.00"))
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Invoice.objects.get(organization=world.org_b, number="2026-900").amount == 10
    assert IdempotencyKey.objects.filter(key="shared").count() == 2


def test_another_api_key_of_the_same_organization_is_independent(world, api_a, api_client):
    from organizations.models import ApiKeyScope
    from organizations.services import api_key_create

    assert post_invoice(api_a, "shared", invoice_body("S-1")).status_code == 201
    _key, secret = api_key_create(organization=world.org_a, name="Second ERP", scope=ApiKeyScope.READ_WRITE)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = post_invoice(api_client, "shared", invoice_body("S-2"))
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Invoice.objects.filter(organization=world.org_a, number__in=["S-1", "S-2"]).count() == 2


def test_the_sweeper_runs_hourly_from_the_beat_schedule():
    from collect.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "organizations.expire_idempotency_keys" in tasks
    assert "organizations.expire_idempotency_keys" in app.tasks


def test_a_request_still_in_progress_gets_409(world, api_a):
    now = timezone.now()
    body = invoice_body()
    first = post_invoice(api_a, "k-1", body)
    # The same request arriving while the first is still at work: its claim is in progress.
    IdempotencyKey.objects.filter(key="k-1").update(status=IdempotencyStatus.IN_PROGRESS, locked_at=now)
    response = post_invoice(api_a, "k-1", body)
    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_progress"
    assert response["Retry-After"] == "1"


def test_an_abandoned_claim_is_taken_over_after_its_lease(world, api_a):
    assert post_invoice(api_a, "k-1", invoice_body()).status_code == 201
    # As if that request had died mid-work: its work rolled back, its claim stayed in progress.
    Invoice.objects.filter(organization=world.org_a, number="2026-900").delete()
    IdempotencyKey.objects.filter(key="k-1").update(status=IdempotencyStatus.IN_PROGRESS, locked_at=timezone.now())
    assert post_invoice(api_a, "k-1", invoice_body()).status_code == 409
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = post_invoice(api_a, "k-1", invoice_body())
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert IdempotencyKey.objects.get(key="k-1").status == IdempotencyStatus.COMPLETED
    assert Invoice.objects.filter(organization=world.org_a, number="2026-900").count() == 1


def test_a_key_expires_after_24_hours(world, api_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert post_invoice(api_a, "k-1", invoice_body()).status_code == 201
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        assert idempotency_keys_expire() == 0
        assert post_invoice(api_a, "k-1", invoice_body())["Idempotent-Replayed"] == "true"
    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        assert expire_idempotency_keys() == 1
        response = post_invoice(api_a, "k-1", invoice_body())
    # The key is free again: the request runs, and the invoice number is now taken.
    assert response.status_code == 400 and "Idempotent-Replayed" not in response


def test_an_expired_key_not_yet_swept_is_free_again(world, api_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post_invoice(api_a, "k-1", invoice_body("E-1"))
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        response = post_invoice(api_a, "k-1", invoice_body("E-1"))
    assert response.status_code == 400 and "Idempotent-Replayed" not in response


def test_a_validation_error_is_replayed(world, api_a):
    body = invoice_body(number="")
    first = post_invoice(api_a, "k-1", body)
    assert first.status_code == 400
    # Even once the request would pass, the key answers what it answered.
    again = post_invoice(api_a, "k-1", body)
    assert (again.status_code, again.content) == (400, first.content)
    assert again["Idempotent-Replayed"] == "true"


def test_action_endpoints_are_idempotent(world, api_a):
    url = f"/api/v1/invoices/{world.a.invoice.pk}/remind/"
    before = Dispatch.objects.filter(organization=world.org_a).count()
    first = api_a.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="remind-1")
    again = api_a.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="remind-1")
    assert first.status_code == again.status_code == 201, first.json()
    assert again.json() == first.json()
    assert Dispatch.objects.filter(organization=world.org_a).count() == before + 1


def test_import_upload_is_idempotent(world, api_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(content: bytes):
        file = SimpleUploadedFile("c.csv", content, content_type="text/csv")
        return api_a.post(
            "/api/v1/imports/", {"kind": "customers", "file": file}, format="multipart", HTTP_IDEMPOTENCY_KEY="upload-1"
        )

    first = upload(b"external_ref;name\nC-7;Seven\n")
    again = upload(b"external_ref;name\nC-7;Seven\n")
    other = upload(b"external_ref;name\nC-8;Eight\n")
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.json()["id"] == first.json()["id"]


def test_a_too_long_key_is_refused(world, api_a):
    response = post_invoice(api_a, "k" * 256, invoice_body())
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert not Invoice.objects.filter(number="2026-900").exists()


def test_a_server_error_is_not_stored(world, api_a, monkeypatch):
    """A 5xx leaves the key free: the retry does the work."""
    from rest_framework.response import Response

    from invoices.api.views import InvoiceViewSet

    original = InvoiceViewSet.create
    monkeypatch.setattr(InvoiceViewSet, "create", lambda self, request, *a, **k: Response({"x": 1}, status=503))
    assert post_invoice(api_a, "k-1", invoice_body()).status_code == 503
    assert not IdempotencyKey.objects.exists()
    monkeypatch.setattr(InvoiceViewSet, "create", original)
    assert post_invoice(api_a, "k-1", invoice_body()).status_code == 201


def test_a_conflict_is_not_stored(world, api_a):
    """A 409 (here: the import would not import what the caller saw) may be retried with the same key."""
    url = f"/api/v1/imports/{world.a.import_batch.pk}/confirm/"
    first = api_a.post(url, {"rows": 5}, format="json", HTTP_IDEMPOTENCY_KEY="confirm-1")
    again = api_a.post(url, {"rows": 5}, format="json", HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert first.status_code == again.status_code == 409
    assert "Idempotent-Replayed" not in again
    assert not IdempotencyKey.objects.exists()


def test_the_schema_documents_the_header_on_every_post(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    posts = [(path, item["post"]) for path, item in schema["paths"].items() if "post" in item]
    assert len(posts) > 10
    for path, operation in posts:
        names = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
        assert ("Idempotency-Key", "header") in names, path
        assert {"409", "422"} <= set(operation["responses"]), path
    gets = schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]
    assert "Idempotency-Key" not in {p["name"] for p in gets}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="real concurrency needs PostgreSQL")
def test_concurrent_duplicates_do_the_work_once(world):
    from rest_framework.test import APIClient

    barrier, results = threading.Barrier(4), []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.secret}")
        barrier.wait()
        try:
            results.append(post_invoice(client, "race", invoice_body()).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Invoice.objects.filter(organization=world.org_a, number="2026-900").count() == 1
    assert set(results) <= {201, 409} and 201 in results
