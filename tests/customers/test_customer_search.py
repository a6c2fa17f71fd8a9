"""The customer search: name, external reference, VAT number and contact e-mail, case-insensitive substrings.

Runs on SQLite by default and on PostgreSQL with DATABASE_URL (where customers.migrations 0005 adds trigram
indexes and the search is written so that it uses them).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.filters import CustomerFilter
from customers.models import Contact, Customer
from customers.services import contact_create, customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    org = world.org_a
    found = {
        "name": customer_create(organization=org, name="Brasserie Van Houtte", external_ref="K-1"),
        "ref": customer_create(organization=org, name="Alpha", external_ref="ERP-77Q-Zulu"),
        "vat": customer_create(organization=org, name="Beta", external_ref="K-3", vat_number="BE0477123456"),
        "email": customer_create(organization=org, name="Gamma", external_ref="K-4"),
    }
    # Two matching contacts: the customer is listed (and counted) once.
    contact_create(customer=found["email"], name="Ann", email="Ann.Peeters@Gamma-Logistics.be")
    contact_create(customer=found["email"], name="Bob", email="bob.peeters@gamma-logistics.be")
    customer_create(organization=org, name="Someone else", external_ref="K-5")
    # Another organization's customer matching every term is never shown.
    other = customer_create(
        organization=world.org_b, name="Van Houtte BV", external_ref="ERP-77Q-ZULU", vat_number="BE0477123456"
    )
    contact_create(customer=other, name="X", email="ann.peeters@gamma-logistics.be")
    return found


SEARCHES = [
    ("name", "van HOUTTE"),
    ("ref", "77q-z"),
    ("vat", "be0477"),
    ("email", "PEETERS@gamma"),
]


@pytest.mark.parametrize(("field", "term"), SEARCHES)
def test_search_finds_by_each_field_case_insensitively(world, people, owner_a_client, api_a, field, term):
    response = owner_a_client.get(reverse("customers:list", args=[world.org_a.slug]), {"search": term})
    assert [c.pk for c in response.context["customers"]] == [people[field].pk]
    assert response.context["page_obj"].paginator.count == 1
    assert people[field].name in response.content.decode()

    body = api_a.get("/api/v1/customers/", {"search": term}).json()
    assert [row["id"] for row in body["results"]] == [people[field].pk]


def test_one_or_two_characters_match_the_start_of_a_name_or_reference(world, people, owner_a_client, api_a):
    """A term like "be" is inside most names, e-mails and Belgian VAT numbers: a short term reads as a prefix."""
    page = owner_a_client.get(reverse("customers:list", args=[world.org_a.slug]), {"search": "bE"})
    # Beta (name) only: not Gamma's "...logistics.be" e-mail, not the "BE0477..." VAT number of Beta's reference K-3.
    assert [c.name for c in page.context["customers"]] == ["Beta"]
    assert 'data-testid="short-search-hint"' in page.content.decode()
    body = api_a.get("/api/v1/customers/", {"search": "er"}).json()  # the reference ERP-77Q-Zulu
    assert [row["id"] for row in body["results"]] == [people["ref"].pk]
    # From three characters on, any part of any of the four fields again, and no hint.
    page = owner_a_client.get(reverse("customers:list", args=[world.org_a.slug]), {"search": "eta"})
    assert [c.name for c in page.context["customers"]] == ["Beta"]
    assert "short-search-hint" not in page.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the prefix indexes exist on PostgreSQL only")
def test_postgresql_short_search_reads_the_prefix_indexes(world, people):
    # Enough customers of the organization (and fresh statistics) that reading all of them would cost more.
    Customer.objects.bulk_create(
        Customer(organization=world.org_a, name=f"Zeta {n}", external_ref=f"Z-{n}") for n in range(2000)
    )
    qs = CustomerFilter({"search": "be"}, queryset=Customer.objects.filter(organization=world.org_a).order_by()).qs
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
        plan = qs.explain()
    assert "customer_name_prefix" in plan and "customer_ref_prefix" in plan, plan


def test_search_without_organization_still_matches_contacts(world, people):
    """The filter used without an organization (no request) keeps the e-mail half working."""
    found = CustomerFilter({"search": "gamma-logistics"}, queryset=Customer.objects.filter(organization=world.org_a))
    assert list(found.qs) == [people["email"]]


def test_a_search_is_counted_once(world, people, owner_a_client):
    with CaptureQueriesContext(connection) as queries:
        response = owner_a_client.get(reverse("customers:list", args=[world.org_a.slug]), {"search": "peeters"})
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts
    assert response.context["page_obj"].paginator.count == 1


def test_a_broad_search_shows_a_capped_total(world, owner_a_client, monkeypatch):
    monkeypatch.setattr("tabular.pagination.COUNT_CAP", 30)
    monkeypatch.setattr("customers.views.PAGE_SIZE", 10)
    for n in range(45):
        customer_create(organization=world.org_a, name=f"Wide {n}", external_ref=f"W-{n}")
    response = owner_a_client.get(reverse("customers:list", args=[world.org_a.slug]), {"search": "wide"})
    assert response.context["page_obj"].paginator.capped
    page = response.content.decode()
    assert 'data-testid="customer-count">30+</span>' in page
    assert "Page 1 of more than 3" in page
    # Selecting "all matching" does not pretend there are exactly 30.
    assert "Select all customers matching this filter (more than 30)" in page
    assert 'data-total="30+"' in page
    assert len(response.context["customers"]) == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
def test_postgresql_search_reads_the_trigram_indexes(world, people):
    # Without the organization and the ordering (whose b-tree indexes a tiny table prefers) and with sequential
    # scans off, the plan shows which indexes the search itself can use.
    qs = CustomerFilter({"search": "houtte"}, queryset=Customer.objects.order_by()).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    for index in ("customer_name_trgm", "customer_ref_trgm", "customer_vat_trgm"):
        assert index in plan, plan
    assert {c.name for c in qs} == {"Brasserie Van Houtte", "Van Houtte BV"}  # both organizations here
    # The e-mail half is a sub-query whose plan depends on how it is narrowed (organization or listed customers,
    # and a tiny test table makes their b-tree indexes cheaper); the predicate it runs must match the trigram
    # index on its own.
    contacts = Contact.objects.filter(email__icontains="gamma-logistics").order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = contacts.explain()
    assert "contact_email_trgm" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_the_trigram_migration_leaves_sqlite_working(world):
    """Unapplied and applied again, it changes nothing on SQLite (and runs its operations on PostgreSQL)."""
    call_command("migrate", "customers", "0004", verbosity=0)  # unapplies what depends on later ones too (notes)
    call_command("migrate", verbosity=0)  # everything again, so the tests after this one find every table
    customer = customer_create(organization=world.org_a, name="After Migration", external_ref="M-1")
    contact_create(customer=customer, name="M", email="m@after.example")
    found = CustomerFilter(
        {"search": "AFTER.ex"}, queryset=Customer.objects.filter(organization=world.org_a), organization=world.org_a
    ).qs
    assert list(found) == [customer]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trgm%'")
            assert cursor.fetchall() == []
