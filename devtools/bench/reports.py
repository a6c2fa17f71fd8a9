"""Benchmarks for the portfolio, each report and the report API on the bench organization (1,000,000 invoices).

Found by the registry's autodiscovery. The bench user is the owner; the portfolio is the account manager with the
most customers (a fifth of the organization on bench-1). `dashboard.aging` (devtools/bench/scenarios.py) measures
the dashboard with its trends.
"""

from __future__ import annotations

from django.db.models import Count

from customers.models import Customer
from devtools.bench.registry import BenchContext, Outcome, scenario
from reports.registry import REPORTS


def _largest_portfolio(context: BenchContext) -> int | None:
    row = (
        Customer.objects.filter(organization=context.organization, account_manager__isnull=False)
        .values("account_manager")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return row["account_manager"] if row else None


@scenario(
    "reports.portfolio", "Portfolio of the largest account manager: cards, trend, tasks, follow-up", target_ms=300
)
def portfolio(context: BenchContext) -> Outcome:
    manager = _largest_portfolio(context)
    if manager is None:
        return Outcome(ok=False, reason="no account manager has customers")
    return Outcome.of(context.client.get(f"/o/{context.organization.slug}/?scope={manager}"))


def _report_scenario(name: str, query: str = ""):
    def run(context: BenchContext) -> Outcome:
        return Outcome.of(context.client.get(f"/o/{context.organization.slug}/reports/{name}/{query}"))

    return run


for _name in REPORTS:
    scenario(f"reports.{_name}", f"Report page {_name!r}, whole organization, default period", target_ms=300)(
        _report_scenario(_name)
    )


@scenario("reports.aging_one_manager", "Aging report narrowed to the largest account manager", target_ms=300)
def aging_one_manager(context: BenchContext) -> Outcome:
    manager = _largest_portfolio(context)
    return _report_scenario("aging", f"?account_manager={manager}")(context)


@scenario("reports.api_performance", "GET /api/v1/reports/performance/ (session + X-Organization)", target_ms=300)
def api_performance(context: BenchContext) -> Outcome:
    headers = {"X-Organization": context.organization.slug}
    return Outcome.of(context.client.get("/api/v1/reports/performance/", headers=headers))


@scenario("reports.dashboard_trend", "Dashboard panel: 12-month trend of outstanding, overdue and DSO", target_ms=300)
def dashboard_trend(context: BenchContext) -> Outcome:
    url = f"/o/{context.organization.slug}/reports/panels/?panel=trend&scope=organization"
    return Outcome.of(context.client.get(url))


@scenario("reports.dashboard_collected", "Dashboard panel: cash collected this month and last", target_ms=150)
def dashboard_collected(context: BenchContext) -> Outcome:
    url = f"/o/{context.organization.slug}/reports/panels/?panel=collected&scope=organization"
    return Outcome.of(context.client.get(url))


@scenario("reports.dashboard_top_overdue", "Dashboard panel: top 10 overdue customers", target_ms=150)
def dashboard_top_overdue(context: BenchContext) -> Outcome:
    url = f"/o/{context.organization.slug}/reports/panels/?panel=top-overdue&scope=organization"
    return Outcome.of(context.client.get(url))
