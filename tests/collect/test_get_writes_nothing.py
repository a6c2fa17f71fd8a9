"""Reading never changes anything: every API route that answers GET, called with a read-write key on the
two-tenant world, leaves every table with the rows it had (a read-only key can therefore do no harm)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from organizations.models import ActivityLog
from tests.isolation import SAMPLE_KWARGS, object_of, routes

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    counts = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    # The audit trail notes who downloaded a file (an invoice PDF, a pain.008): the one entry a read may add.
    downloads = ActivityLog.objects.filter(code__endswith="_downloaded").count()
    counts[ActivityLog._meta.label] -= downloads
    return counts


def api_get_urls(world) -> list[str]:
    urls = []
    for route in routes():
        if not route.is_api or not route.name or "get" not in route.methods:
            continue
        kwargs = {name: SAMPLE_KWARGS[name] for name in route.kwargs if name in SAMPLE_KWARGS}
        if "pk" in route.kwargs:
            kwargs["pk"] = object_of(route.model, world.org_a).pk
        urls.append(reverse(route.name, kwargs=kwargs))
    return urls


def test_no_api_get_writes_a_row(world, api_a):
    urls = api_get_urls(world)
    assert any(url.endswith("/xml/") for url in urls) and len(urls) >= 20
    for url in urls:
        before = row_counts()
        response = api_a.get(url)
        assert response.status_code < 500, url
        after = row_counts()
        changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
        assert changed == {}, f"GET {url} changed {changed}"
