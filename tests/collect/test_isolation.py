"""One tenant never reaches another's data: every page and every API route, found automatically."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.isolation import ORGANIZATION_KWARG, SAMPLE_KWARGS, object_of, object_routes, organization_routes, rows_of

pytestmark = pytest.mark.smoke

HTML_METHODS = ("get", "post")
API_METHODS = ("get", "put", "patch", "delete", "post")
REFUSALS = {404, 405}  # 405: the method does not exist for this route at all, so nothing is revealed


def _url(route, organization, model_object=None) -> str:
    kwargs = {}
    if ORGANIZATION_KWARG in route.kwargs:
        kwargs[ORGANIZATION_KWARG] = organization.slug
    if "pk" in route.kwargs:
        kwargs["pk"] = model_object.pk
    for name in route.kwargs - {ORGANIZATION_KWARG, "pk"}:
        assert name in SAMPLE_KWARGS, f"{route.pattern}: add a sample value for <{name}> to tests/isolation.py"
        kwargs[name] = SAMPLE_KWARGS[name]
    return reverse(route.name, kwargs=kwargs)


def test_the_walk_knows_which_methods_a_route_answers():
    by_name = {route.name: route for route in object_routes(api=True)}
    assert by_name["api:invoice-remind"].methods == {"post"}
    assert {"get", "patch"} <= by_name["api:customer-detail"].methods


def test_the_walk_finds_pages_and_api_routes():
    assert len(organization_routes()) >= 20
    assert len(object_routes(api=True)) >= 4
    assert len(object_routes(api=False)) >= 8


def test_every_object_route_declares_its_model():
    undeclared = [r.pattern for r in object_routes(api=True) + object_routes(api=False) if r.model is None]
    assert undeclared == []


def test_pages_of_another_tenants_organization_are_not_found(world, client):
    client.force_login(world.owner_b.user)
    for route in organization_routes():
        obj = object_of(route.model, world.org_a) if "pk" in route.kwargs else None
        url = _url(route, world.org_a, obj)
        for method in HTML_METHODS:
            response = getattr(client, method)(url)
            assert response.status_code in REFUSALS, f"{method.upper()} {url} gave {response.status_code}"


def test_objects_of_another_tenant_are_not_found_through_ones_own_organization(world, client):
    client.force_login(world.owner_b.user)
    for route in object_routes(api=False):
        url = _url(route, world.org_b, object_of(route.model, world.org_a))
        for method in HTML_METHODS:
            response = getattr(client, method)(url)
            assert response.status_code in REFUSALS, f"{method.upper()} {url} gave {response.status_code}"


def test_the_owner_reaches_their_own_objects(world, client):
    """The same walk with the rightful owner: proves the 404s above are not the pages being broken."""
    client.force_login(world.owner_a.user)
    for route in object_routes(api=False):
        url = _url(route, world.org_a, object_of(route.model, world.org_a))
        response = client.get(url)
        assert response.status_code in {200, 405}, f"GET {url} gave {response.status_code}"


def test_a_member_without_access_to_an_organization_of_their_tenant_gets_404(world, client):
    client.force_login(world.member_a.user)
    assert client.get(reverse("dashboard", args=[world.org_a.slug])).status_code == 200
    assert client.get(reverse("dashboard", args=[world.org_a2.slug])).status_code == 404


def test_api_key_of_another_tenant_gets_404_for_every_object(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    routes = object_routes(api=True)
    for route in routes:
        url = _url(route, world.org_a, object_of(route.model, world.org_a))
        for method in API_METHODS:
            response = getattr(api_client, method)(url, {}, format="json")
            assert response.status_code in REFUSALS, f"{method.upper()} {url} gave {response.status_code}"


def test_api_session_of_another_tenant_gets_404_for_every_object(world, api_client):
    api_client.force_login(world.owner_b.user)
    for route in object_routes(api=True):
        url = _url(route, world.org_a, object_of(route.model, world.org_a))
        for method in API_METHODS:
            response = getattr(api_client, method)(url, {}, format="json", HTTP_X_ORGANIZATION=world.org_b.slug)
            assert response.status_code in REFUSALS, f"{method.upper()} {url} gave {response.status_code}"
        response = api_client.get(url, HTTP_X_ORGANIZATION=world.org_a.slug)
        assert response.status_code in REFUSALS, f"GET {url} naming A's organization gave {response.status_code}"


def test_api_key_reaches_its_own_objects(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.secret}")
    for route in object_routes(api=True):
        if route.name.endswith("-pdf") or "get" not in route.methods:
            continue
        url = _url(route, world.org_a, object_of(route.model, world.org_a))
        assert api_client.get(url).status_code == 200, url


def test_api_lists_hold_only_the_keys_organization(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    for route in [r for r in __import__("tests.isolation", fromlist=["routes"]).routes() if r.is_api]:
        if route.kwargs or not route.name or not route.name.endswith("-list"):
            continue
        response = api_client.get(reverse(route.name))
        assert response.status_code == 200, route.name
        foreign_ids = set(rows_of(route.model, world.org_a).values_list("pk", flat=True))
        listed = {row["id"] for row in response.json()["results"]}
        assert listed and not (listed & foreign_ids), route.name


def test_related_ids_of_another_tenant_are_refused_on_write(world, api_a):
    foreign_customer = world.b.customer
    response = api_a.post(
        "/api/v1/invoices/",
        {
            "customer": foreign_customer.pk,
            "number": "X-1",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "10.00",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "customer" in response.json()["error"]["fields"]
    response = api_a.post(
        "/api/v1/payments/",
        {"invoice": world.b.invoice.pk, "amount": "1.00", "paid_on": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert world.b.invoice.payments.count() == 1


def test_filters_with_foreign_ids_return_nothing(world, api_a):
    response = api_a.get("/api/v1/invoices/", {"customer": world.b.customer.pk})
    assert response.status_code == 200 and response.json()["results"] == []
