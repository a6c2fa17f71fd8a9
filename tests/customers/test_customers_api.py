from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from customers.models import Customer, EmailStatus
from invoices.services import invoice_change_status, invoice_create
from organizations.models import ActivityLog, ActorType
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_create_customer_through_the_api_is_logged_as_the_key(world, api_a):
    response = api_a.post(
        "/api/v1/customers/",
        {"name": "Nova Bouw BV", "external_ref": "C-9", "type": "company", "language": "fr", "country": "be"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["id"])
    assert (customer.organization, customer.country) == (world.org_a, "BE")
    entry = ActivityLog.objects.get(code="customer.created", subject_id=customer.pk)
    assert (entry.actor_type, entry.actor_api_key) == (ActorType.API_KEY, world.a.api_key)


def test_duplicate_external_reference_is_refused_inside_the_organization(world, api_a):
    before = Customer.objects.count()
    response = api_a.post("/api/v1/customers/", {"name": "Again", "external_ref": "C-1"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["external_ref"] == [
        "Another customer already has this external reference."
    ]
    assert Customer.objects.count() == before


def test_look_up_by_external_reference_finds_only_ones_own(world, api_a):
    rows = api_a.get("/api/v1/customers/", {"external_ref": "C-1"}).json()["results"]
    assert [row["id"] for row in rows] == [world.a.customer.pk]


def test_search_matches_contact_email(world, api_a):
    rows = api_a.get("/api/v1/customers/", {"search": "billing@acme"}).json()["results"]
    assert [row["id"] for row in rows] == [world.a.customer.pk]


def test_update_records_what_changed(world, api_a):
    response = api_a.patch(f"/api/v1/customers/{world.a.customer.pk}/", {"name": "Acme Renamed"}, format="json")
    assert response.status_code == 200
    entry = ActivityLog.objects.filter(code="customer.updated", subject_id=world.a.customer.pk).latest("id")
    assert entry.data["changes"]["name"] == ["Acme Customer", "Acme Renamed"]


def test_account_manager_must_belong_to_the_tenant(world, api_a):
    url = f"/api/v1/customers/{world.a.customer.pk}/"
    assert api_a.patch(url, {"account_manager": world.owner_b.pk}, format="json").status_code == 400
    response = api_a.patch(url, {"account_manager": world.manager_a.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["account_manager"] == world.manager_a.pk


def test_account_manager_must_reach_the_organization(world, api_a):
    elsewhere = MembershipFactory(tenant=world.tenant_a, all_organizations=False)
    elsewhere.organizations.add(world.org_a2)
    response = api_a.patch(
        f"/api/v1/customers/{world.a.customer.pk}/", {"account_manager": elsewhere.pk}, format="json"
    )
    assert response.status_code == 400


def test_open_balance_counts_open_and_disputed_invoices(world, api_a):
    dates = {"issue_date": date(2026, 11, 1), "due_date": date(2026, 12, 1)}
    disputed = invoice_create(
        organization=world.org_a, customer=world.a.customer, number="D-1", amount=Decimal("50.00"), **dates
    )
    invoice_change_status(invoice=disputed, status="disputed")
    invoice_create(
        organization=world.org_a, customer=world.a.customer, number="P-1", amount=Decimal("70.00"),
        open_amount=Decimal("0"), **dates,
    )  # fmt: skip
    row = api_a.get(f"/api/v1/customers/{world.a.customer.pk}/").json()
    assert Decimal(row["open_balance"]) == Decimal("140.00")  # 90 open + 50 disputed


def test_contact_email_validity_is_tracked(world, api_a):
    create = lambda email: api_a.post(  # noqa: E731
        "/api/v1/contacts/", {"customer": world.a.customer.pk, "email": email, "name": "X"}, format="json"
    )
    assert create("ok@example.com").json()["email_status"] == EmailStatus.VALID
    bad = create("not-an-address").json()
    assert bad["email_status"] == EmailStatus.INVALID
    fixed = api_a.patch(f"/api/v1/contacts/{bad['id']}/", {"email": "fixed@example.com"}, format="json").json()
    assert fixed["email_status"] == EmailStatus.VALID


def test_contact_cannot_move_to_another_customer(world, api_a):
    other = Customer.objects.create(organization=world.org_a, name="Other")
    api_a.patch(f"/api/v1/contacts/{world.a.contact.pk}/", {"customer": other.pk}, format="json")
    world.a.contact.refresh_from_db()
    assert world.a.contact.customer == world.a.customer


def test_list_is_cursor_paginated(world, api_a):
    for n in range(5):
        Customer.objects.create(organization=world.org_a, name=f"Page {n}")
    first = api_a.get("/api/v1/customers/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api_a.get(first["next"]).json()
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
