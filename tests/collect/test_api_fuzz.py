"""Fuzzing the whole API from its own OpenAPI schema (schemathesis, in-process against the WSGI app).

Every operation of /api/v1/schema/ gets a bounded number of generated requests, valid and invalid (ids of real
objects of both organizations mixed in), with a read-write key and with a read-only key. No answer may be a
server error, and every answer must be one the schema documents (status, content type, body shape). The
read-only key must leave every table as it found it.

Bounded for CI: FUZZ_EXAMPLES requests per operation (default 10); once FUZZ_SECONDS (default 120) have passed
for a key, the operations still to do get one request each, so every operation is still reached. The run is
derandomized, so CI sends the same requests every time; set FUZZ_SEED to a number to explore others.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from organizations.models import ApiKeyScope
from organizations.services import api_key_create
from tests.collect.test_get_writes_nothing import row_counts
from tests.isolation import object_of, routes

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "120"))
SEED = os.environ.get("FUZZ_SEED")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Report:
    operations: int = 0
    shortened: int = 0  # operations that got one request only, after the time was up
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    writes_answered: list[str] = field(default_factory=list)  # POST/PUT/PATCH/DELETE that did not fail
    failures: list[str] = field(default_factory=list)


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, served in the test's transaction: like Django's test client, requests must not
    close the connection the test database lives on."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def real_ids(world) -> dict[str, list[int]]:
    """Per resource (the path segment after /api/v1/), the id of an object of organization A and of B."""
    ids: dict[str, list[int]] = {}
    for route in routes():
        if route.is_api and route.model is not None and "pk" in route.kwargs:
            segment = reverse(route.name, kwargs={"pk": 1}).split("/")[3]
            ids[segment] = [object_of(route.model, world.org_a).pk, object_of(route.model, world.org_b).pk]
    return ids


def cases(operation, ids: list[int]):
    generated = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    if not ids:
        return generated

    @st.composite
    def with_real_ids(draw):
        case = draw(generated)
        if "id" in (case.path_parameters or {}) and draw(st.booleans()):
            case.path_parameters["id"] = draw(st.sampled_from(ids))
        return case

    return with_real_ids()


def fuzz(app, world, secret: str) -> Report:
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", app)
    ids = real_ids(world)
    report = Report()
    deadline = time.monotonic() + SECONDS
    for result in schema.get_all_operations():
        operation = result.ok()
        examples = EXAMPLES if time.monotonic() < deadline else 1
        report.operations += 1
        report.shortened += examples < EXAMPLES
        fuzz_operation(operation, ids.get(operation.path.split("/")[3], []), secret, examples, report)
    return report


def fuzz_operation(operation, ids: list[int], secret: str, examples: int, report: Report) -> None:
    @given(case=cases(operation, ids))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case):
        response = case.call(headers={"Authorization": f"Bearer {secret}"})
        report.requests += 1
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        if case.method != "GET" and response.status_code < 400:
            report.writes_answered.append(f"{case.method} {case.formatted_path} {response.status_code}")
        case.validate_response(response, checks=CHECKS)

    if SEED is not None:
        send = seed(int(SEED))(send)
    try:
        send()
    # Every operation's failures are collected, then reported together.
    except (AssertionError, FailureGroup) as failure:
        report.failures.append(f"{operation.label}: {failure}")


def assert_clean(report: Report) -> None:
    print(
        f"fuzz: {report.operations} operations ({report.shortened} shortened for time), {report.requests} requests, "
        f"statuses {sorted(report.statuses.items())}"
    )
    assert report.operations >= 80
    assert report.requests >= report.operations * min(EXAMPLES, 2)
    assert not report.failures, f"{len(report.failures)} operations failed:\n\n" + "\n\n".join(report.failures)


def test_fuzzing_with_a_read_write_key_finds_no_server_error_and_no_undocumented_answer(world, wsgi_app):
    report = fuzz(wsgi_app, world, world.a.secret)
    assert_clean(report)
    # Not everything was refused: the generated requests reached the views and changed things.
    assert sum(count for status, count in report.statuses.items() if status < 300) > report.operations // 2


def test_fuzzing_with_a_read_only_key_changes_nothing(world, wsgi_app):
    _, secret = api_key_create(organization=world.org_a, name="Dashboard", scope=ApiKeyScope.READ)
    before = row_counts()
    report = fuzz(wsgi_app, world, secret)
    assert_clean(report)
    assert report.statuses.get(403, 0) > 0 and report.writes_answered == []
    after = row_counts()
    changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
    assert changed == {}
