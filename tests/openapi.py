"""Check API answers against the published OpenAPI schema (what clients generate their types from)."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema


@cache
def _components() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return _as_json_schema(schema["components"]["schemas"])


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` becomes JSON Schema's `null` type (and a null enum member)."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        if "allOf" in node or "$ref" in node:
            node = {"oneOf": [{key: value for key, value in node.items()}, {"type": "null"}]}
    return node


_formats = jsonschema.FormatChecker()


@_formats.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


def assert_matches_schema(body: Any, component: str) -> None:
    """`body` is a valid `component` (e.g. "Mandate"), formats and enums included."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": {"schemas": _components()}}
    jsonschema.validate(body, schema, format_checker=_formats)
