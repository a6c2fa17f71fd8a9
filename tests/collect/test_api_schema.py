from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_openapi_schema_describes_every_resource(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path in (
        "/api/v1/customers/",
        "/api/v1/customers/{id}/",
        "/api/v1/contacts/",
        "/api/v1/invoices/",
        "/api/v1/invoices/{id}/pdf/",
        "/api/v1/payments/",
        "/api/v1/organization/",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    filters = {p["name"] for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]}
    assert {
        "external_ref", "search", "cursor", "valid_email", "has_invoices", "has_overdue_invoices", "balance_min",
        "balance_max", "has_agreements", "profile", "agreement_state", "type", "language", "country",
        "account_manager", "follow_up_plan",
    } <= filters  # fmt: skip
    invoice_filters = {p["name"] for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]}
    assert {"q", "status", "overdue_min", "overdue_max", "outstanding", "customer_ref"} <= invoice_filters


def test_interactive_docs_are_served_without_external_assets(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content
