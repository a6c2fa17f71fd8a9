"""One error shape for the whole API: {"error": {"code", "message", "fields"?}}.

Django ValidationErrors raised by services become 400 responses with the same shape as serializer errors.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        error = {"code": getattr(data["detail"], "code", "error"), "message": str(data["detail"])}
    else:
        error = {"code": "invalid", "message": "Some fields are invalid.", "fields": data}
    response.data = {"error": error}
    return response


ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "description": "The shape of every error answer.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Per field (or `non_field_errors`), the messages; only with code `invalid`.",
                    "additionalProperties": True,
                },
                "details": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Further explanations, e.g. the pain.008 schema errors of a refused collection.",
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
ERROR_RESPONSES = {
    "400": "`invalid`: a field, filter or body is invalid (`fields` says which), or the object's state does not "
    "allow this (e.g. `collection_refused`).",
    "401": "`not_authenticated` or `authentication_failed`: no API key, or an unknown or revoked one.",
    "403": "`permission_denied`: a read-only key asked for a change, or the key may not reach this.",
    "404": "`not_found`: no such object in this organization (another organization's id is not found either).",
    "415": "`unsupported_media_type`: the body is not sent as JSON, a form or multipart.",
    "429": "`throttled`: too many requests for this key; retry after the `Retry-After` header's seconds.",
}


def error_component(result: dict) -> dict:
    """Registers the ApiError component in the schema and returns a reference to it."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    return {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}


def _answers(operation: dict) -> set[str]:
    """The error codes an operation can answer: any request may be invalid (its input, or the state of what it
    acts on), unauthenticated, forbidden or throttled; one with a body may send it in a type not read; one that
    names an object may not find it."""
    codes = {"400", "401", "403", "429"}
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        codes.add("415")
    if any(parameter.get("in") == "path" for parameter in parameters):
        codes.add("404")
    return codes


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors it can answer, in the one
    error shape, without annotating each view."""
    reference = error_component(result)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(_answers(operation)):
                responses.setdefault(
                    code,
                    {"description": ERROR_RESPONSES[code], "content": {"application/json": {"schema": reference}}},
                )
    return result
