"""generate_data builds a consistent benchmark tenant; bench measures scenarios and writes its report."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from customers.models import Contact, Customer, CustomerBalance, EmailStatus
from devtools.bench.registry import SCENARIOS, Outcome, Scenario
from invoices.models import Invoice, InvoiceStatus, Payment, ReceivablesDay
from mandates.models import Mandate, MandateProfile
from organizations.models import Membership, Organization, Role
from reminders.models import FollowUpPlan

pytestmark = pytest.mark.django_db

TINY = {"organizations": 2, "customers": 50, "invoices": 200}


@pytest.fixture
def bench_data(monkeypatch):
    monkeypatch.setenv("BENCH_PASSWORD", "bench-password-for-tests")
    call_command("generate_data", **TINY, stdout=io.StringIO())
    return Organization.objects.get(slug="bench-1")


def expected_figures(organization) -> dict[int, tuple]:
    """Each customer's figures computed from its invoices and contacts, independently of the command."""
    figures = defaultdict(lambda: [Decimal("0"), 0, None, False])
    for invoice in Invoice.objects.filter(organization=organization):
        entry = figures[invoice.customer_id]
        entry[1] += 1
        if invoice.status in Invoice.OWED_STATUSES:
            if invoice.currency == organization.currency:  # other currencies: CustomerBalance, never added
                entry[0] += invoice.open_amount
            entry[2] = min(filter(None, [entry[2], invoice.due_date]))
    for contact in Contact.objects.filter(organization=organization, notify=True, email_status=EmailStatus.VALID):
        figures[contact.customer_id][3] = True
    customers = Customer.objects.filter(organization=organization)
    return {customer.pk: tuple(figures[customer.pk]) for customer in customers}


def test_generate_data_builds_the_bench_tenant(bench_data):
    organizations = Organization.objects.filter(tenant__name="Bench").order_by("slug")
    assert [o.slug for o in organizations] == ["bench-1", "bench-2"]
    assert Customer.objects.filter(organization=bench_data).count() == 50
    assert Invoice.objects.filter(organization=bench_data).count() == 200
    assert Customer.objects.filter(organization__slug="bench-2").exists()  # noise in the other organization
    members = Membership.objects.filter(tenant=bench_data.tenant).select_related("user")
    owner = members.get(role=Role.OWNER)
    assert owner.user.email == "bench-owner@bench.example"
    assert owner.user.check_password("bench-password-for-tests")
    assert members.filter(is_account_manager=True).count() == 5
    plans = FollowUpPlan.objects.filter(organization=bench_data)
    assert plans.count() == 2 and plans.filter(is_default=True).count() == 1
    assert set(MandateProfile.objects.filter(organization=bench_data).values_list("scheme", flat=True)) == {
        "CORE",
        "B2B",
    }
    assert Mandate.objects.filter(organization=bench_data).exists()
    assert ReceivablesDay.objects.filter(organization=bench_data).exists()


def test_generated_invoices_are_consistent(bench_data):
    invoices = Invoice.objects.filter(organization=bench_data)
    paid_by_invoice = dict(
        Payment.objects.filter(organization=bench_data).values_list("invoice").annotate(total=Sum("amount"))
    )
    for invoice in invoices:
        assert 0 <= invoice.open_amount <= invoice.amount
        assert invoice.due_date >= invoice.issue_date
        if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF):
            assert invoice.open_amount == 0
        if invoice.status == InvoiceStatus.OPEN:
            assert invoice.open_amount > 0
        if invoice.status != InvoiceStatus.CREDITED and invoice.status != InvoiceStatus.WRITTEN_OFF:
            assert paid_by_invoice.get(invoice.pk, Decimal("0")) == invoice.amount - invoice.open_amount
    assert {InvoiceStatus.OPEN, InvoiceStatus.PAID} <= set(invoices.values_list("status", flat=True))


def test_materialized_customer_columns_match_the_invoices_and_contacts(bench_data):
    for organization in Organization.objects.filter(tenant__name="Bench"):
        stored = {
            customer.pk: (customer.open_balance, customer.invoice_count, customer.oldest_open_due_date,
                          customer.has_valid_email)
            for customer in Customer.objects.filter(organization=organization)
        }  # fmt: skip
        assert stored == expected_figures(organization)
        assert stored_balances(organization) == expected_balances(organization)


def expected_balances(organization) -> dict[tuple[int, str], Decimal]:
    owed = Invoice.objects.filter(organization=organization, status__in=Invoice.OWED_STATUSES)
    balances = defaultdict(Decimal)
    for invoice in owed:
        balances[invoice.customer_id, invoice.currency] += invoice.open_amount
    return dict(balances)


def stored_balances(organization) -> dict[tuple[int, str], Decimal]:
    rows = CustomerBalance.objects.filter(organization=organization)
    return {(row.customer_id, row.currency): row.open_amount for row in rows}


def test_generate_data_refuses_to_run_twice_without_replace(bench_data):
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_data", **TINY, stdout=io.StringIO())
    call_command("generate_data", **TINY, if_missing=True, stdout=io.StringIO())
    call_command("generate_data", **TINY, replace=True, stdout=io.StringIO())
    assert Organization.objects.filter(tenant__name="Bench").count() == 2
    assert Invoice.objects.filter(organization__slug="bench-1").count() == 200
    assert Membership.objects.filter(tenant__name="Bench").count() == 6


def test_bench_times_a_scenario_and_writes_the_report(bench_data, tmp_path):
    output = io.StringIO()
    call_command("bench", scenario=["customers.filtered_list"], runs=2, warmups=0, output=str(tmp_path),
                 stdout=output)  # fmt: skip
    report = json.loads((tmp_path / "report.json").read_text())
    (result,) = report["scenarios"]
    assert result["name"] == "customers.filtered_list"
    assert result["http_status"] == 200  # PASS or FAIL depends on this machine's speed, not asserted here
    assert result["runs"] == 2 and len(result["samples_ms"]) == 2
    assert result["min_ms"] <= result["median_ms"] <= result["max_ms"]
    assert result["queries"] > 0
    assert report["customers"] == 50
    assert "customers.filtered_list" in (tmp_path / "report.md").read_text()
    assert "customers.filtered_list" in output.getvalue()


def test_a_failing_scenario_is_reported_and_the_run_goes_on(bench_data, tmp_path, monkeypatch):
    def broken(context):
        raise RuntimeError("no such page")

    def missing(context):
        return Outcome.of(context.client.get("/o/bench-1/no-such-page/"))

    monkeypatch.setitem(SCENARIOS, "test.broken", Scenario("test.broken", "raises", 100, broken))
    monkeypatch.setitem(SCENARIOS, "test.missing", Scenario("test.missing", "404", 100, missing))
    call_command("bench", scenario=["test."], runs=2, warmups=1, output=str(tmp_path), stdout=io.StringIO())
    results = {r["name"]: r for r in json.loads((tmp_path / "report.json").read_text())["scenarios"]}
    assert results["test.broken"]["verdict"] == "FAIL"
    assert results["test.broken"]["reason"] == "RuntimeError: no such page"
    assert results["test.missing"]["verdict"] == "FAIL"
    assert results["test.missing"]["reason"] == "HTTP 404"
