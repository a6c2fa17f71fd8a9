"""Who sees what: an account manager lands on their portfolio and sees only their customers in reports; "Mine" is
exactly their customers on pages, exports and the API; another tenant's data never appears."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from customers.stats import customers_refresh_stats_for_organization
from invoices.ledger import ledger_rebuild
from tests.factories import CustomerFactory, InvoiceFactory, MembershipFactory
from tests.reports.conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolios(world):
    """Three customers of manager_a, two of another account manager, one without; each with an overdue invoice."""
    other = MembershipFactory(tenant=world.tenant_a, is_account_manager=True, user__email="other@acme.example")
    due = date.today() - timedelta(days=45)
    mine, theirs = [], []
    for index in range(3):
        customer = CustomerFactory(organization=world.org_a, account_manager=world.manager_a, name=f"Mine {index}")
        mine.append(InvoiceFactory(customer=customer, number=f"M-{index}", due_date=due, issue_date=due))
    for index in range(2):
        customer = CustomerFactory(organization=world.org_a, account_manager=other, name=f"Theirs {index}")
        theirs.append(InvoiceFactory(customer=customer, number=f"T-{index}", due_date=due, issue_date=due))
    InvoiceFactory(customer=CustomerFactory(organization=world.org_a, name="Nobody's"), number="N-1")
    # Tenant B's customer has tenant A's account manager id as its own manager's id would be: never listed in A.
    CustomerFactory(organization=world.org_b, account_manager=world.owner_b, name="Beta's own")
    # The factories bypass the services that keep the customers' figures and the ledger.
    customers_refresh_stats_for_organization(organization=world.org_a)
    ledger_rebuild(organization=world.org_a)
    world.other_manager, world.mine, world.theirs = other, mine, theirs
    return world


def numbers(response) -> set[str]:
    return set(re.findall(r">([MTN]-\d|2026-001)<", response.content.decode()))


def test_an_account_manager_lands_on_their_portfolio(portfolios, client):
    client.force_login(portfolios.manager_a.user)
    response = client.get(reverse("dashboard", args=["acme-be"]))
    assert response.context["manager"] == portfolios.manager_a
    assert "Portfolio of" in response.content.decode()
    (eur,) = response.context["summary"]
    assert eur["outstanding"] == sum(invoice.open_amount for invoice in portfolios.mine)
    assert eur["open_invoices"] == 3
    # A member who is an account manager has no switch: asking for the organization still shows the portfolio.
    response = client.get(reverse("dashboard", args=["acme-be"]) + "?scope=organization")
    assert response.context["manager"] == portfolios.manager_a
    assert response.context["may_switch"] is False
    other = client.get(reverse("dashboard", args=["acme-be"]) + f"?scope={portfolios.other_manager.pk}")
    assert other.context["manager"] == portfolios.manager_a


def test_an_owner_sees_the_organization_and_may_open_a_portfolio(portfolios, owner_a_client):
    response = owner_a_client.get(reverse("dashboard", args=["acme-be"]))
    assert response.context["manager"] is None
    assert response.context["may_switch"] is True
    response = owner_a_client.get(reverse("dashboard", args=["acme-be"]) + f"?scope={portfolios.other_manager.pk}")
    assert response.context["manager"] == portfolios.other_manager
    (eur,) = response.context["summary"]
    assert eur["open_invoices"] == 2
    # Another tenant's membership is not a portfolio here.
    response = owner_a_client.get(reverse("dashboard", args=["acme-be"]) + f"?scope={portfolios.owner_b.pk}")
    assert response.status_code == 404


def test_mine_on_the_invoice_list_is_exactly_the_managers_customers(portfolios, client):
    client.force_login(portfolios.manager_a.user)
    response = client.get(reverse("invoices:list", args=["acme-be"]) + "?mine=true")
    assert numbers(response) == {"M-0", "M-1", "M-2"}
    response = client.get(
        reverse("invoices:list", args=["acme-be"]) + f"?account_manager={portfolios.other_manager.pk}"
    )
    assert numbers(response) == {"T-0", "T-1"}
    response = client.get(reverse("invoices:list", args=["acme-be"]) + "?account_manager=none")
    assert numbers(response) == {"N-1", "2026-001"}


def test_mine_on_the_customer_list_and_in_the_exports(portfolios, client):
    client.force_login(portfolios.manager_a.user)
    response = client.get(reverse("customers:list", args=["acme-be"]) + "?mine=true")
    assert {customer.name for customer in response.context["customers"]} == {"Mine 0", "Mine 1", "Mine 2"}
    export = client.get(reverse("imports:invoices-export", args=["acme-be"]) + "?mine=true&format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert {row[0] for row in rows[1:]} == {"M-0", "M-1", "M-2"}


def test_mine_through_the_api_follows_the_session_and_is_empty_for_an_api_key(portfolios, client, api_a):
    client.force_login(portfolios.manager_a.user)
    headers = {"X-Organization": "acme-be"}
    body = client.get("/api/v1/invoices/?mine=true", headers=headers).json()
    assert {row["number"] for row in body["results"]} == {"M-0", "M-1", "M-2"}
    body = client.get(f"/api/v1/invoices/?account_manager={portfolios.other_manager.pk}", headers=headers).json()
    assert {row["number"] for row in body["results"]} == {"T-0", "T-1"}
    customers = client.get("/api/v1/customers/?mine=true", headers=headers).json()
    assert {row["name"] for row in customers["results"]} == {"Mine 0", "Mine 1", "Mine 2"}
    assert api_a.get("/api/v1/invoices/?mine=true").json()["results"] == []


def test_an_account_manager_sees_only_their_portfolio_in_reports(portfolios, client):
    client.force_login(portfolios.manager_a.user)
    url = reverse("reports:report", args=["acme-be", "aging"])
    response = client.get(url + f"?account_manager={portfolios.other_manager.pk}")
    assert [row["manager"] for row in response.context["rows"]] == [str(portfolios.manager_a.user)]
    assert response.context["rows"][0]["total"] == Decimal("363.00")
    export = client.get(url + "?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and rows[1][0] == str(portfolios.manager_a.user)


def test_an_owner_sees_every_account_manager_and_exports_excel(portfolios, owner_a_client):
    url = reverse("reports:report", args=["acme-be", "aging"])
    response = owner_a_client.get(url)
    managers = {row["manager"] for row in response.context["rows"]}
    assert managers == {str(portfolios.manager_a.user), str(portfolios.other_manager.user), "No account manager"}
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(owner_a_client.get(url + "?format=xlsx").streaming_content)))
    assert workbook.active.max_row == 4


def test_each_aging_cell_drills_down_to_exactly_its_invoices(portfolios, owner_a_client):
    response = owner_a_client.get(reverse("reports:report", args=["acme-be", "aging"]))
    (row,) = [row for row in response.context["rows"] if row["manager"] == str(portfolios.other_manager.user)]
    assert row["31_60"] == Decimal("242.00")
    listed = owner_a_client.get(row["links"]["31_60"])
    assert numbers(listed) == {"T-0", "T-1"}
    assert numbers(owner_a_client.get(row["links"]["1_30"])) == set()
    assert numbers(owner_a_client.get(row["links"]["total"])) == {"T-0", "T-1"}


def test_reports_through_the_api_stay_in_the_tenant(portfolios, api_a, api_client, world):
    body = api_a.get("/api/v1/reports/aging/").json()
    assert body["report"] == "aging"
    assert {row["manager"] for row in body["rows"]} >= {str(portfolios.manager_a.user)}
    assert "Beta's own" not in str(body)
    # B's key asking for A's account manager: nothing, never A's figures.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    body = api_client.get(f"/api/v1/reports/aging/?account_manager={portfolios.manager_a.pk}").json()
    assert body["rows"] == []
    assert api_client.get("/api/v1/reports/nonsense/").status_code == 404
    assert api_client.get("/api/v1/reports/performance/?start=yesterday").status_code == 400


@pytest.mark.parametrize("name", ["aging", "actions", "performance", "days-to-pay", "top-debtors", "follow-up"])
def test_every_report_page_renders_and_prints(name, portfolios, owner_a_client):
    response = owner_a_client.get(reverse("reports:report", args=["acme-be", name]))
    assert response.status_code == 200
    assert b"data-print" in response.content
    for export_format in ("csv", "xlsx"):
        assert owner_a_client.get(f"{response.request['PATH_INFO']}?format={export_format}").status_code == 200


def test_report_dates_are_typed_as_the_reader_writes_them(portfolios, owner_a_client):
    url = reverse("reports:report", args=["acme-be", "performance"])
    response = owner_a_client.get(url + "?start=01-06-2026&end=30-11-2026")
    assert response.context["scope"].start == date(2026, 6, 1)
    assert response.context["scope"].end == date(2026, 11, 30)
    assert TODAY  # the generated data's day is not needed here


def test_the_home_panels_follow_the_same_scope(portfolios, client):
    client.force_login(portfolios.manager_a.user)
    url = reverse("reports:home-panel", args=["acme-be"])
    top = client.get(url + f"?panel=top-overdue&scope={portfolios.other_manager.pk}")
    assert [row["customer"] for row in top.context["top_overdue"]] == ["Mine 0", "Mine 1", "Mine 2"]
    trend = client.get(url + "?panel=trend&scope=organization")
    assert {row["currency"] for row in trend.context["trend"]} == {"EUR"}
    assert len(trend.context["trend"]) == 12
    assert trend.context["trend"][-1]["outstanding"] == Decimal("363.00")
    assert client.get(url + "?panel=nonsense").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "account_manager=abc",
        "account_manager=99999999999999999999999",
        "account_manager=-1",
        "currency=ZZZ",
        "start=2026-12-01&end=2020-01-01",
        "start=1900-01-01",
        "days=0",
        "days=99999",
        "start=31-02-2026",
    ],
)
def test_odd_report_filters_never_fail(query, portfolios, owner_a_client, api_a):
    for name in ("aging", "performance", "follow-up", "days-to-pay"):
        page = owner_a_client.get(reverse("reports:report", args=["acme-be", name]) + "?" + query)
        assert page.status_code == 200
        assert api_a.get(f"/api/v1/reports/{name}/?{query}").status_code in (200, 400)


def test_chart_bars_measure_each_currency_against_itself():
    from reports.registry import REPORTS
    from reports.views import chart_rows

    rows = [
        {"currency": "EUR", "month": date(2026, 1, 1), "outstanding": Decimal("100")},
        {"currency": "EUR", "month": date(2026, 2, 1), "outstanding": Decimal("50")},
        {"currency": "USD", "month": date(2026, 1, 1), "outstanding": Decimal("10")},
    ]
    bars = chart_rows(REPORTS["performance"], rows)
    assert [bar["percent"] for bar in bars] == [100.0, 50.0, 100.0]
