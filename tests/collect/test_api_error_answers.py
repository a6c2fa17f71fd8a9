"""Answers the API fuzzing found wrong or undocumented: each error is in the one shape and in the schema."""

from __future__ import annotations

import pytest

from collect.api.urls import router
from mandates.models import MandateDocument
from organizations.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def api_schema(client) -> dict:
    return client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_an_unreadable_cursor_is_an_invalid_parameter_not_a_missing_list(api_a):
    response = api_a.get("/api/v1/customers/", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "cursor" in response.json()["error"]["fields"]


def test_an_address_the_api_does_not_have_answers_in_the_api_error_shape(api_a, client):
    response = api_a.put("/api/v1/contacts/6.1e-05/", {"name": "x"}, format="json")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_error_of_a_pdf_download_is_json_even_when_a_pdf_was_asked_for(world, api_a):
    MandateDocument.objects.filter(mandate=world.a.mandate).delete()
    for url in (f"/api/v1/mandates/{world.a.mandate.pk}/pdf/", f"/api/v1/mandates/{world.b.mandate.pk}/pdf/"):
        response = api_a.get(url, {"format": "pdf"}, HTTP_ACCEPT="application/pdf")
        assert response.status_code == 404 and response["Content-Type"] == "application/json", url
        assert response.json()["error"]["code"] == "not_found"


def test_a_refused_collection_step_answers_in_the_api_error_shape(world, api_a):
    url = f"/api/v1/collection-batches/{world.a.batch.pk}/mark-paid/"
    assert api_a.post(url, {"paid_on": "2026-12-01"}, format="json").status_code == 200
    response = api_a.post(url, {"paid_on": "2026-12-01"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "collection_refused" and "submitted" in error["message"]
    assert isinstance(error["details"], list)


def test_every_operation_documents_its_error_answers_in_the_error_shape(client):
    schema = api_schema(client)
    error = {"$ref": "#/components/schemas/ApiError"}
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 80
    for path, method, operation in operations:
        responses = operation["responses"]
        expected = {"400", "401", "403", "429"}
        expected |= {"404"} if "{" in path else set()
        expected |= {"415"} if "requestBody" in operation else set()
        assert expected <= set(responses), (method, path, sorted(responses))
        for code in expected - {"400"}:
            assert responses[code]["content"]["application/json"]["schema"] == error, (method, path, code)
    assert schema["components"]["schemas"]["ApiError"]["required"] == ["error"]


def test_a_bulk_refusal_is_documented_as_the_error_shape_with_or_without_rows(client, api_a):
    detail = api_schema(client)["components"]["schemas"]["BulkRefusalDetail"]
    assert set(detail["required"]) == {"code", "message"} and {"fields", "rows"} <= set(detail["properties"])
    response = api_a.post("/api/v1/customers/bulk/", {"rows": ["not a row"]}, format="json")
    assert response.status_code == 400 and set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("action", ["approve", "skip", "postpone"])
def test_reviewing_an_id_beyond_any_database_integer_is_a_400_not_a_crash(api_a, action):
    body = {"ids": [2**70], "until": "2026-12-31"}
    response = api_a.post(f"/api/v1/dispatches/{action}/", body, format="json")
    assert response.status_code == 400 and "ids" in response.json()["error"]["fields"]


def test_an_idempotency_key_with_a_control_character_is_refused_before_it_is_stored(world, api_a):
    response = api_a.post("/api/v1/customers/", {"name": "Nul"}, format="json", HTTP_IDEMPOTENCY_KEY="key\x00one")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]["fields"]
    assert not IdempotencyKey.objects.exists()


def test_every_column_that_may_be_null_or_blank_is_described_so_in_the_schema(client):
    """A client generating types from the schema must expect null where a column allows it, and "" where a
    choice may be left blank."""
    components = api_schema(client)["components"]["schemas"]
    checked = 0
    for _prefix, viewset, _basename in router.registry:
        if viewset.serializer_class is None:  # chooses its serializer per action; the fuzzing checks its answers
            continue
        component = components[viewset.serializer_class.__name__.removesuffix("Serializer")]
        for column in viewset.model._meta.concrete_fields:
            found = component["properties"].get(column.name) or component["properties"].get(column.attname)
            if found is None:
                continue
            alternatives = [item.get("$ref", "").rsplit("/", 1)[-1] for item in found.get("oneOf", [])]
            if column.null:
                checked += 1
                assert found.get("nullable") or "NullEnum" in alternatives, (viewset.__name__, column.name)
            if column.choices and column.blank and not column.null:
                checked += 1
                assert "BlankEnum" in alternatives or "" in found.get("enum", []), (viewset.__name__, column.name)
    assert checked > 15


def test_a_body_django_refuses_before_any_view_answers_in_the_api_error_shape(api_a):
    fields = "&".join(f"ids={number}" for number in range(1, 1100))
    url = "/api/v1/dispatches/skip/"
    response = api_a.post(url, fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "bad_request"
