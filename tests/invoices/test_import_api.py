"""/api/v1/imports/: upload, check, confirm (a background job), follow; the same rules as the Import page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer
from invoices.models import ImportBatch, ImportStatus
from invoices.tasks import run_import_batch
from organizations.models import ActivityLog, ApiKeyScope
from organizations.services import api_key_create
from tests.spreadsheets import csv_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/"
GOOD_AND_BAD = [["external_ref", "name"], ["API-1", "Api Customer One"], ["API-2", "Api Customer Two"], ["API-3", ""]]


def upload(client, rows=GOOD_AND_BAD, *, name="customers.csv", kind="customers", content=None):
    file = SimpleUploadedFile(name, content if content is not None else csv_bytes(rows))
    return client.post(URL, {"kind": kind, "file": file}, format="multipart")


def test_upload_check_confirm_and_follow_the_import(world, api_a):
    response = upload(api_a)

    assert response.status_code == 201, response.json()
    batch = response.json()
    assert (batch["status"], batch["new"], batch["invalid"], batch["valid"]) == ("pending", 2, 1, 2)
    assert batch["errors"] == [{"row": 4, "column": "name", "message": "This value is required."}]
    assert not Customer.objects.filter(external_ref__startswith="API-").exists()

    confirmed = api_a.post(f"{URL}{batch['id']}/confirm/", {"skip_invalid": True, "rows": 2}, format="json")

    assert confirmed.status_code == 202, confirmed.json()
    assert confirmed.json()["status"] == "importing" and confirmed.json()["progress"]["phase"] == "waiting"
    run_import_batch(batch["id"])  # the worker
    done = api_a.get(f"{URL}{batch['id']}/").json()
    assert (done["status"], done["imported"], done["failure"]) == (
        "imported", {"new": 2, "updated": 0, "unchanged": 0, "skipped": 1}, "")  # fmt: skip
    assert Customer.objects.filter(organization=world.org_a, external_ref__startswith="API-").count() == 2
    entry = ActivityLog.objects.get(code="import.completed", subject_id=batch["id"])
    assert entry.actor_api_key == world.a.api_key


def test_a_confirmation_that_would_not_import_what_was_seen_is_refused(world, api_a):
    batch = upload(api_a).json()
    without_skip = api_a.post(f"{URL}{batch['id']}/confirm/", {"rows": 2}, format="json")
    assert without_skip.status_code == 409 and "the file has errors" in without_skip.json()["error"]["message"]
    wrong_count = api_a.post(f"{URL}{batch['id']}/confirm/", {"skip_invalid": True, "rows": 3}, format="json")
    error = wrong_count.json()["error"]
    assert wrong_count.status_code == 409 and "the data changed since the preview" in error["message"]
    assert error["code"] == "import_refused"
    assert ImportBatch.objects.get(pk=batch["id"]).status == ImportStatus.PENDING


def test_files_that_cannot_be_imported_get_a_clear_error(world, api_a):
    wrong_type = upload(api_a, name="customers.txt")
    assert wrong_type.status_code == 400
    assert wrong_type.json()["error"]["fields"]["file"] == ["Upload a CSV or XLSX file."]
    broken = upload(api_a, name="customers.xlsx", content=b"not a workbook")
    assert broken.status_code == 400
    assert broken.json()["error"]["fields"]["file"] == ["This file is not a readable Excel workbook (XLSX)."]
    unknown_kind = upload(api_a, kind="payments")
    assert unknown_kind.status_code == 400 and "kind" in unknown_kind.json()["error"]["fields"]
    assert not ImportBatch.objects.filter(organization=world.org_a).exclude(pk=world.a.import_batch.pk).exists()


def test_cancel_drops_a_waiting_file_once(world, api_a):
    batch = upload(api_a).json()
    cancelled = api_a.post(f"{URL}{batch['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api_a.post(f"{URL}{batch['id']}/cancel/")
    assert again.status_code == 409
    assert ActivityLog.objects.filter(code="import.cancelled", subject_id=batch["id"]).count() == 1


def test_another_organizations_import_is_not_found(world, api_a, api_client):
    batch = upload(api_a).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    assert api_client.get(f"{URL}{batch['id']}/").status_code == 404
    assert api_client.post(f"{URL}{batch['id']}/confirm/", {"skip_invalid": True}, format="json").status_code == 404
    assert batch["id"] not in [row["id"] for row in api_client.get(URL).json()["results"]]


def test_a_read_only_key_can_follow_but_not_import(world, api_a, api_client):
    batch = upload(api_a).json()
    _key, secret = api_key_create(organization=world.org_a, name="Reader", scope=ApiKeyScope.READ)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get(f"{URL}{batch['id']}/").status_code == 200
    assert upload(api_client).status_code == 403
    assert api_client.post(f"{URL}{batch['id']}/confirm/", {"skip_invalid": True}, format="json").status_code == 403


def test_the_schema_documents_the_import_endpoints(client):
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/imports/{id}/confirm/" in schema and "multipart/form-data" in schema
