"""The dashboard reads a ledger the invoice services keep; it must equal a rebuild from the invoices,
and its aging must equal a computation straight from the invoices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from invoices.ledger import ledger_rebuild
from invoices.models import Invoice, ReceivablesDay
from invoices.selectors import receivables_summary
from invoices.services import invoice_change_status, invoice_create, invoice_update, payment_record

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def ledger_rows(organization):
    rows = ReceivablesDay.objects.filter(organization=organization).values_list(
        "currency", "day", "open_amount", "open_count", "invoiced_amount", "invoiced_count"
    )
    return {row for row in rows if any(row[2:])}


@pytest.fixture
def busy_organization(world):
    organization, customer = world.org_a, world.a.customer
    make = lambda number, due, amount, currency="EUR": invoice_create(  # noqa: E731
        organization=organization, customer=customer, number=number, issue_date=due - timedelta(days=30),
        due_date=due, amount=Decimal(amount), currency=currency,
    )  # fmt: skip
    a = make("L-1", TODAY - timedelta(days=10), "100.00")
    b = make("L-2", TODAY - timedelta(days=45), "200.00")
    c = make("L-3", TODAY + timedelta(days=5), "300.00")
    d = make("L-4", TODAY - timedelta(days=95), "400.00")
    e = make("L-5", TODAY - timedelta(days=70), "50.00", currency="USD")
    payment_record(invoice=a, amount=Decimal("30.00"), paid_on=TODAY)
    payment_record(invoice=b, amount=Decimal("200.00"), paid_on=TODAY)
    invoice_change_status(invoice=c, status="disputed")
    invoice_update(
        invoice=d, due_date=TODAY - timedelta(days=65), amount=Decimal("450.00"), open_amount=Decimal("420.00")
    )
    invoice_change_status(invoice=e, status="credited")
    return organization


def test_services_keep_the_ledger_equal_to_a_rebuild(busy_organization):
    kept = ledger_rows(busy_organization)
    ledger_rebuild(organization=busy_organization)
    assert kept == ledger_rows(busy_organization)


def test_aging_matches_the_invoices(busy_organization):
    (eur,) = receivables_summary(organization=busy_organization, today=TODAY)  # USD invoice is credited
    owed = Invoice.objects.filter(organization=busy_organization, currency="EUR", status__in=Invoice.OWED_STATUSES)
    buckets = {"not_due": 0, "1_30": 0, "31_60": 0, "61_90": 0, "90_plus": 0}
    for invoice in owed:
        late = (TODAY - invoice.due_date).days
        key = (
            "not_due"
            if late <= 0
            else "1_30"
            if late <= 30
            else "31_60"
            if late <= 60
            else "61_90"
            if late <= 90
            else "90_plus"
        )
        buckets[key] += invoice.open_amount
    assert {b["key"]: b["amount"] for b in eur["buckets"]} == buckets
    assert eur["outstanding"] == sum(i.open_amount for i in owed)
    assert eur["overdue"] == sum(i.open_amount for i in owed if i.due_date < TODAY)


def test_dso_is_outstanding_over_recent_sales(busy_organization):
    (eur,) = receivables_summary(organization=busy_organization, today=TODAY)
    recent = Invoice.objects.filter(organization=busy_organization, currency="EUR",
                                    issue_date__gt=TODAY - timedelta(days=90), issue_date__lte=TODAY)  # fmt: skip
    assert eur["dso"] == round(eur["outstanding"] / sum(i.amount for i in recent) * 90)


def test_dashboard_links_each_bucket_to_the_matching_invoices(busy_organization, owner_a_client):
    with time_machine.travel(TODAY, tick=False):
        dashboard = owner_a_client.get(reverse("dashboard", args=[busy_organization.slug]))
        (eur,) = dashboard.context["summary"]
        for bucket in eur["buckets"]:
            listed = owner_a_client.get(reverse("invoices:list", args=[busy_organization.slug]),
                                        {"currency": "EUR", **bucket["query"]})  # fmt: skip
            total = sum(i.open_amount for i in listed.context["page_obj"].paginator.object_list)
            assert total == bucket["amount"], bucket["key"]


def test_invoice_list_sorts_most_overdue_first(busy_organization, owner_a_client):
    response = owner_a_client.get(reverse("invoices:list", args=[busy_organization.slug]),
                                  {"outstanding": "true", "sort": "-days_overdue"})  # fmt: skip
    due_dates = [invoice.due_date for invoice in response.context["invoices"]]
    assert due_dates == sorted(due_dates)


def test_invoice_filter_is_the_same_in_api_and_page(busy_organization, api_a, owner_a_client):
    params = {"overdue_min": "31", "overdue_max": "90"}
    with time_machine.travel(TODAY, tick=False):
        page = owner_a_client.get(reverse("invoices:list", args=[busy_organization.slug]), params)
        api = api_a.get("/api/v1/invoices/", params).json()["results"]
    assert {i.pk for i in page.context["invoices"]} == {row["id"] for row in api} != set()


def test_pausing_follow_up_is_logged_and_shown(world, owner_a_client):
    url = reverse("invoices:follow-up", args=[world.org_a.slug, world.a.invoice.pk])
    response = owner_a_client.post(url, {"paused": "1", "reason": "Promised to pay on the 15th"}, follow=True)
    assert b"Promised to pay on the 15th" in response.content
    world.a.invoice.refresh_from_db()
    assert world.a.invoice.follow_up_paused
    owner_a_client.post(url, {"paused": "0"})
    world.a.invoice.refresh_from_db()
    assert not world.a.invoice.follow_up_paused
