from __future__ import annotations

import time
from decimal import Decimal

import pytest

from customers.models import Customer
from invoices.models import Invoice
from organizations.models import ActivityLog, ActorType, ApiKeyScope
from organizations.services import api_key_create

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/customers/bulk/"
INVOICES = "/api/v1/invoices/bulk/"


def invoice(number: str, **changes) -> dict:
    return {
        "number": number,
        "customer_ref": "C-1",
        "issue_date": "2026-11-01",
        "due_date": "2026-11-30",
        "amount": "100.00",
        **changes,
    }


def statuses(response) -> list[str]:
    return [row["status"] for row in response.json()["results"]]


def test_customers_are_created_updated_and_left_unchanged_by_reference(world, api_a):
    rows = [
        {"external_ref": "C-1", "name": "Acme Customer"},  # what it already holds
        {"external_ref": "C-2", "name": "Nova Bouw", "email": "info@nova.example", "language": "fr"},
    ]
    first = api_a.post(CUSTOMERS, {"rows": rows}, format="json")
    assert first.status_code == 200, first.json()
    assert statuses(first) == ["unchanged", "created"]
    nova = Customer.objects.get(organization=world.org_a, external_ref="C-2")
    assert first.json()["results"][1]["id"] == nova.pk
    assert (nova.language, [c.email for c in nova.contacts.all()]) == ("fr", ["info@nova.example"])
    entry = ActivityLog.objects.get(code="customer.created", subject_id=nova.pk)
    assert (entry.actor_type, entry.actor_api_key) == (ActorType.API_KEY, world.a.api_key)

    again = api_a.post(CUSTOMERS, {"rows": [{"external_ref": "C-2", "name": "Nova Bouw NV"}]}, format="json")
    assert statuses(again) == ["updated"]
    nova.refresh_from_db()
    # A field left out of the record keeps its value.
    assert (nova.name, nova.language) == ("Nova Bouw NV", "fr")
    assert ActivityLog.objects.filter(code="customer.updated", subject_id=nova.pk).exists()


def test_invoices_are_created_updated_and_left_unchanged_by_number(world, api_a):
    response = api_a.post(INVOICES, {"rows": [invoice("B-1"), invoice("B-2", amount=250.5)]}, format="json")
    assert response.status_code == 200, response.json()
    assert statuses(response) == ["created", "created"]
    assert response.json()["created"] == 2
    created = Invoice.objects.get(organization=world.org_a, number="B-2")
    assert (created.amount, created.open_amount, created.customer) == (
        Decimal("250.50"),
        Decimal("250.50"),
        world.a.customer,
    )
    assert response.json()["results"][1]["id"] == created.pk
    assert ActivityLog.objects.filter(code="invoice.created", subject_id=created.pk).count() == 1

    rows = [invoice("B-1"), invoice("B-2", amount="250.50", open_amount="50")]
    response = api_a.post(INVOICES, {"rows": rows}, format="json")
    assert statuses(response) == ["unchanged", "updated"]
    assert response.json()["results"][0]["id"] == Invoice.objects.get(organization=world.org_a, number="B-1").pk
    created.refresh_from_db()
    assert created.open_amount == Decimal("50.00")
    assert ActivityLog.objects.filter(code="invoice.updated", subject_id=created.pk).exists()


def test_all_or_nothing_writes_nothing_when_a_row_is_invalid(world, api_a):
    rows = [invoice("B-1"), invoice("B-2", due_date="2026-10-01"), invoice("B-3", amount="lots"), invoice("B-1")]
    response = api_a.post(INVOICES, {"rows": rows}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert error["message"] == "3 rows are invalid; nothing was written."
    by_row = {row["row"]: row["errors"] for row in error["rows"]}
    assert by_row[2] == [{"field": "due_date", "message": "The due date cannot be before the issue date."}]
    assert by_row[3][0]["field"] == "amount"
    assert by_row[4] == [{"field": "number", "message": "Row 1 already has this invoice number."}]
    assert not Invoice.objects.filter(number__startswith="B-").exists()


def test_per_row_writes_the_valid_rows_and_reports_the_others(world, api_a):
    rows = [
        {"external_ref": "N-1", "name": "New One"},
        {"external_ref": "N-2"},  # no name
        {"external_ref": "C-1", "name": "Acme Customer", "country": "Belgium"},
        {"external_ref": "C-1", "name": "Acme Customer, renamed"},
    ]
    response = api_a.post(CUSTOMERS, {"mode": "per_row", "rows": rows}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert statuses(response) == ["created", "error", "error", "error"]
    assert (body["created"], body["updated"], body["unchanged"], body["errors"]) == (1, 0, 0, 3)
    assert body["results"][1]["errors"] == [{"field": "name", "message": "This value is required."}]
    assert body["results"][2]["errors"][0]["field"] == "country"
    assert Customer.objects.filter(organization=world.org_a, external_ref="N-1").exists()
    assert not Customer.objects.filter(organization=world.org_a, external_ref="N-2").exists()
    assert Customer.objects.get(organization=world.org_a, external_ref="C-1").name == "Acme Customer"


def test_per_row_invoices_mix_created_updated_and_errors(world, api_a):
    rows = [invoice("2026-001", amount="100.00", open_amount="40"), invoice("B-9"), invoice("B-10", currency="EURO")]
    response = api_a.post(INVOICES, {"mode": "per_row", "rows": rows}, format="json")
    assert statuses(response) == ["updated", "created", "error"]
    assert response.json()["results"][2]["errors"][0]["field"] == "currency"
    assert Invoice.objects.get(organization=world.org_a, number="2026-001").open_amount == Decimal("40.00")


def test_a_customer_of_another_tenant_is_unknown(world, api_a):
    Customer.objects.filter(pk=world.b.customer.pk).update(external_ref="ONLY-B")
    response = api_a.post(INVOICES, {"mode": "per_row", "rows": [invoice("X-1", customer_ref="ONLY-B")]}, format="json")
    assert response.json()["results"][0]["errors"] == [
        {"field": "customer_ref", "message": "Unknown customer: no customer has this external reference."}
    ]
    assert not Invoice.objects.filter(number="X-1").exists()


def test_the_same_number_in_another_tenant_is_not_updated(world, api_a):
    response = api_a.post(INVOICES, {"rows": [invoice("2026-001", amount="100.00", open_amount="5")]}, format="json")
    assert statuses(response) == ["updated"]
    assert response.json()["results"][0]["id"] == world.a.invoice.pk
    assert Invoice.objects.get(pk=world.b.invoice.pk).open_amount == Decimal("90.00")


def test_more_than_1000_rows_are_refused(world, api_a):
    rows = [invoice(f"M-{n}") for n in range(1001)]
    response = api_a.post(INVOICES, {"rows": rows}, format="json")
    assert response.status_code == 400
    assert "rows" in response.json()["error"]["fields"]
    assert not Invoice.objects.filter(number__startswith="M-").exists()


def test_unknown_fields_and_empty_requests_are_refused(world, api_a):
    response = api_a.post(CUSTOMERS, {"rows": [{"external_ref": "Z", "name": "Z", "nmae": "typo"}]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rows"]["0"]["nmae"] == ["Unknown field."]
    assert api_a.post(CUSTOMERS, {"rows": []}, format="json").status_code == 400
    assert api_a.post(CUSTOMERS, {"rows": [{"name": {"x": 1}}]}, format="json").status_code == 400


def test_a_read_only_key_may_not_write_in_bulk(world, api_client):
    _key, secret = api_key_create(organization=world.org_a, name="Reader", scope=ApiKeyScope.READ)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.post(CUSTOMERS, {"rows": [{"external_ref": "R", "name": "R"}]}, format="json").status_code == 403
    assert api_client.post(INVOICES, {"rows": [invoice("R-1")]}, format="json").status_code == 403
    assert not Customer.objects.filter(external_ref="R").exists()


def test_bulk_is_idempotent_with_a_key(world, api_a):
    body = {"rows": [invoice("I-1")]}
    first = api_a.post(INVOICES, body, format="json", HTTP_IDEMPOTENCY_KEY="sync-1")
    again = api_a.post(INVOICES, body, format="json", HTTP_IDEMPOTENCY_KEY="sync-1")
    assert statuses(first) == ["created"] and again.content == first.content
    assert ActivityLog.objects.filter(code="invoice.created", subject_id=first.json()["results"][0]["id"]).count() == 1


def test_1000_new_invoices_take_a_bounded_number_of_queries(world, api_a, django_assert_max_num_queries):
    rows = [invoice(f"Q-{n:04}", amount=f"{n + 1}.50") for n in range(1000)]
    started = time.monotonic()
    # Chunks of rows per statement, not a query per row (SQLite's variable limit makes its chunks smaller
    # than PostgreSQL's, hence the margin).
    with django_assert_max_num_queries(80):
        response = api_a.post(INVOICES, {"rows": rows}, format="json")
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and response.json()["created"] == 1000
    assert Invoice.objects.filter(organization=world.org_a, number__startswith="Q-").count() == 1000
    print(f"1000 invoices in {elapsed:.2f} s")


def test_1000_new_customers_take_a_bounded_number_of_queries(world, api_a, django_assert_max_num_queries):
    rows = [{"external_ref": f"Q-{n:04}", "name": f"Customer {n}", "email": f"c{n}@example.com"} for n in range(1000)]
    with django_assert_max_num_queries(80):
        response = api_a.post(CUSTOMERS, {"rows": rows}, format="json")
    assert response.status_code == 200 and response.json()["created"] == 1000


def test_the_schema_describes_the_bulk_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, request in ((CUSTOMERS, "CustomerBulkRequest"), (INVOICES, "InvoiceBulkRequest")):
        operation = schema["paths"][path]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(request)
        assert {"200", "400"} <= set(operation["responses"])
    rows = schema["components"]["schemas"]["InvoiceBulkRequest"]["properties"]["rows"]
    assert rows["maxItems"] == 1000
    record = schema["components"]["schemas"]["InvoiceRecordRequest"]["properties"]
    assert {
        "number",
        "customer_ref",
        "issue_date",
        "due_date",
        "amount",
        "open_amount",
        "currency",
        "payment_reference",
    } == set(record)


def test_an_amount_that_reads_as_a_thousand_or_as_one_is_refused_not_guessed(world, api_a):
    for amount in ("1,000", "1.000"):
        response = api_a.post(INVOICES, {"rows": [invoice("AMB-1", amount=amount)]}, format="json")
        assert response.status_code == 400, amount
        assert response.json()["error"]["rows"][0]["errors"][0]["field"] == "amount"
    assert not Invoice.objects.filter(number="AMB-1").exists()
    response = api_a.post(INVOICES, {"rows": [invoice("AMB-1", amount="1000.00")]}, format="json")
    assert response.status_code == 200
    assert Invoice.objects.get(organization=world.org_a, number="AMB-1").amount == 1000
