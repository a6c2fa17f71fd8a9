"""/api/v1/collection-batches/preview/ and the selection options of creating a batch: invoices not yet due,
excluded invoices and customers, ids of another organization."""

from __future__ import annotations

from datetime import date

import pytest

from mandates.models import CollectionBatch
from messaging.models import Dispatch
from organizations.models import ActivityLog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]
BATCHES = "/api/v1/collection-batches/"
PREVIEW = "/api/v1/collection-batches/preview/"


@pytest.fixture
def invoices(world, profile, make_customer, sign, make_invoice):
    lumen, orbit = make_customer("Lumen BV"), make_customer("Orbit NV")
    sign(lumen)
    sign(orbit)
    return {
        "due": make_invoice(lumen, amount="100.00", due=date(2026, 11, 20)),
        "later": make_invoice(lumen, amount="40.00", due=date(2027, 1, 12)),
        "orbit": make_invoice(orbit, amount="25.00", due=date(2026, 12, 1)),
    }


def invalid_fields(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def request_body(profile, **extra):
    return {"profile": profile.pk, "collection_date": "2026-12-17", **extra}


def test_preview_lists_the_debits_and_totals_without_writing(world, api_a, profile, invoices):
    batches, dispatches = CollectionBatch.objects.count(), Dispatch.objects.count()
    response = api_a.post(PREVIEW, request_body(profile), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["collection_date"], body["count"], body["total"], body["customers"]) == ("2026-12-17", 2, "125.00", 2)
    assert body["not_yet_due_count"] == 1 and body["include_not_yet_due"] is False
    assert body["by_sequence"] == [
        {"sequence_type": "FRST", "count": 2, "total": "125.00"},
        {"sequence_type": "RCUR", "count": 0, "total": "0.00"},
    ]
    debit = next(row for row in body["debits"] if row["invoice"] == invoices["due"].pk)
    assert debit | {"mandate": None, "mandate_reference": None} == {
        "invoice": invoices["due"].pk,
        "invoice_number": invoices["due"].number,
        "due_date": "2026-11-20",
        "amount": "100.00",
        "currency": "EUR",
        "customer": invoices["due"].customer_id,
        "customer_name": invoices["due"].customer.name,
        "mandate": None,
        "mandate_reference": None,
        "sequence_type": "FRST",
        "excluded": False,
    }
    assert debit["mandate_reference"].startswith(profile.reference_prefix)
    assert (CollectionBatch.objects.count(), Dispatch.objects.count()) == (batches, dispatches)


def test_preview_with_the_option_and_exclusions(world, api_a, profile, invoices):
    body = api_a.post(
        PREVIEW,
        request_body(profile, include_not_yet_due=True, exclude_customers=[invoices["orbit"].customer_id]),
        format="json",
    ).json()
    flagged = {row["invoice_number"]: row["excluded"] for row in body["debits"]}
    assert flagged == {invoices["due"].number: False, invoices["later"].number: False, invoices["orbit"].number: True}
    assert (body["count"], body["total"], body["excluded_count"]) == (2, "140.00", 1)


def test_create_leaves_out_invoices_not_yet_due_by_default(world, api_a, profile, invoices):
    response = api_a.post(BATCHES, request_body(profile), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {row["invoice_number"] for row in body["debits"]} == {invoices["due"].number, invoices["orbit"].number}
    assert body["include_not_yet_due"] is False and body["excluded_count"] == 0 and body["dropped_invoices"] == []


def test_create_with_the_option_and_exclusions_is_logged(world, api_a, profile, invoices):
    response = api_a.post(
        BATCHES, request_body(profile, include_not_yet_due=True, exclude_invoices=[invoices["due"].pk]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {row["invoice_number"] for row in body["debits"]} == {invoices["later"].number, invoices["orbit"].number}
    assert body["include_not_yet_due"] is True and body["excluded_count"] == 1
    log = ActivityLog.objects.get(code="collection.batch_created", subject_id=body["id"]).data
    assert (log["include_not_yet_due"], log["excluded_invoices"], log["excluded_debits"]) == (True, 1, 1)


def test_create_with_listed_invoices_reports_those_no_longer_collectable(world, api_a, profile, invoices):
    listed = [invoices["due"].pk, invoices["later"].pk]
    response = api_a.post(BATCHES, request_body(profile, invoices=listed), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [row["invoice_number"] for row in body["debits"]] == [invoices["due"].number]
    assert body["dropped_invoices"] == [
        {"invoice": invoices["later"].pk, "number": invoices["later"].number, "reason": "not_yet_due"}
    ]


@pytest.mark.parametrize("field", ["exclude_invoices", "invoices"])
def test_another_organizations_invoice_is_named_in_a_400(world, api_a, profile, invoices, field):
    before = CollectionBatch.objects.count()
    for url in (PREVIEW, BATCHES):
        response = api_a.post(
            url, request_body(profile, **{field: [invoices["due"].pk, world.b.invoice.pk]}), format="json"
        )
        assert invalid_fields(response) == {field: [f"Unknown invoice id(s): {world.b.invoice.pk}."]}
    assert CollectionBatch.objects.count() == before


def test_another_organizations_or_an_unknown_customer_is_named_in_a_400(world, api_a, profile, invoices):
    body = request_body(profile, exclude_customers=[world.b.customer.pk, 987654])
    for url in (PREVIEW, BATCHES):
        response = api_a.post(url, body, format="json")
        assert invalid_fields(response) == {
            "exclude_customers": [f"Unknown customer id(s): {world.b.customer.pk}, 987654."]
        }


@pytest.mark.parametrize("value", [[2**40], [0], [-3], ["abc"], "7", list(range(1, 10_002))])
def test_out_of_range_or_malformed_ids_give_400_not_500(world, api_a, profile, invoices, value):
    for url in (PREVIEW, BATCHES):
        response = api_a.post(url, request_body(profile, exclude_invoices=value), format="json")
        assert list(invalid_fields(response)) == ["exclude_invoices"]


def test_another_tenants_key_cannot_preview_with_our_profile(world, api_client, profile, invoices):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    response = api_client.post(PREVIEW, request_body(profile), format="json")
    assert list(invalid_fields(response)) == ["profile"]
    assert invoices["due"].number not in response.content.decode()


def test_schema_documents_the_preview_and_the_options(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for text in (
        "/api/v1/collection-batches/preview/",
        "include_not_yet_due",
        "exclude_invoices",
        "exclude_customers",
        "not_yet_due_count",
        "dropped_invoices",
    ):
        assert text in schema
