"""The organization's home (dashboard, or an account manager's portfolio) and the report pages with their exports."""

from __future__ import annotations

from dataclasses import replace

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices.selectors import receivables_summary
from organizations.selectors import members_list
from organizations.services import log_action
from organizations.views_base import OrganizationView
from reports import selectors
from reports.forms import ReportForm
from reports.registry import REPORTS, Report, ReportOptions
from reports.scope import Scope, add_months, month_start, sees_whole_organization
from reports.templatetags.reports import cell_text
from tabular.exports import EXPORT_FORMATS, table_response

ORGANIZATION = "organization"


class HomeView(OrganizationView):
    """The organization's home. An account manager lands on their portfolio; a switch shows the whole organization
    (or another account manager's portfolio) where the role allows it."""

    def get(self, request, organization_slug):
        scope, manager = self.home_scope()
        context = {
            "today": scope.today,
            "manager": manager,
            "summary": (
                selectors.receivables_for_scope(scope)
                if manager
                else receivables_summary(organization=self.organization, today=scope.today)
            ),
            "tasks": selectors.tasks_due(scope, limit=10),
            "upcoming": selectors.follow_up_next_days(scope, now=timezone.now()) if manager else None,
            "may_switch": sees_whole_organization(self.membership),
            "managers": self.switch_choices(),
            "manager_query": scope.manager_query,
            "scope_query": str(manager.pk) if manager else ORGANIZATION,
            "nav": "dashboard",
        }
        return render(request, "reports/home.html", context)

    def home_scope(self):
        """The scope asked for (`?scope=organization`, `?scope=<membership id>`), narrowed to what the role allows."""
        membership = self.membership
        asked = self.request.GET.get("scope", "")
        if not sees_whole_organization(membership):
            asked = str(membership.pk)
        elif not asked:
            asked = str(membership.pk) if membership.is_account_manager else ORGANIZATION
        if asked == ORGANIZATION:
            return Scope.build(organization=self.organization, membership=membership), None
        manager = members_list(organization=self.organization).filter(pk=asked if asked.isdigit() else 0).first()
        if manager is None:
            raise Http404
        return Scope.build(organization=self.organization, membership=membership, manager=manager.pk), manager

    def switch_choices(self):
        if not sees_whole_organization(self.membership):
            return []
        return list(members_list(organization=self.organization).filter(is_account_manager=True))


class HomePanelView(HomeView):
    """A panel of the home page that reads much more than the cards (the 12-month trend reads every open invoice
    and the payments of the year, cash collected joins the payments with their invoices): loaded after the page,
    so the page itself answers at the ledger's speed."""

    PANELS = ("trend", "collected", "top-overdue")

    def get(self, request, organization_slug):
        panel = request.GET.get("panel", "")
        if panel not in self.PANELS:
            raise Http404
        scope, manager = self.home_scope()
        context = {"panel": panel, "manager": manager, "manager_query": scope.manager_query}
        if panel == "trend":
            trend_scope = replace(scope, start=add_months(month_start(scope.today), -11), end=scope.today)
            context["trend"] = with_bar_heights(selectors.monthly_performance(trend_scope))
        elif panel == "collected":
            context["collected"] = selectors.collected_this_and_last_month(scope)
        else:
            context["top_overdue"] = selectors.top_debtors(scope, limit=10, overdue_only=True)
        return render(request, "reports/home_panel.html", context)


class ReportIndexView(OrganizationView):
    def get(self, request, organization_slug):
        return render(request, "reports/index.html", {"reports": REPORTS.values(), "nav": "reports"})


class ReportView(OrganizationView):
    """One report: the filter form, the table with its chart, CSV and Excel exports (`?format=`), printable."""

    def get(self, request, organization_slug, name):
        report = REPORTS.get(name)
        if report is None:
            raise Http404
        form = ReportForm(request.GET or None, organization=self.organization, membership=self.membership)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        scope = Scope.build(
            organization=self.organization,
            membership=self.membership,
            start=data.get("start"),
            end=data.get("end"),
            manager=data.get("account_manager"),
            currency=data.get("currency", ""),
        )
        options = ReportOptions(days=data.get("days") or ReportOptions.days)
        rows = report.rows(scope, options)
        export_format = request.GET.get("format", "")
        if export_format:
            return self.export(report, scope, rows, export_format)
        if not form.is_bound:
            form = ReportForm(
                initial={
                    "start": scope.start,
                    "end": scope.end,
                    "days": options.days,
                    "account_manager": scope.manager_query,
                },
                organization=self.organization,
                membership=self.membership,
            )
        query = request.GET.copy()
        query.pop("format", None)
        context = {
            "report": report,
            "form": form,
            "rows": rows,
            "scope": scope,
            "options": options,
            "chart": chart_rows(report, rows),
            "query": query.urlencode(),
            "nav": "reports",
        }
        return render(request, "reports/report.html", context)

    def export(self, report: Report, scope: Scope, rows: list[dict], export_format: str):
        if export_format not in EXPORT_FORMATS:
            return HttpResponseBadRequest(_("Choose the format csv or xlsx."))
        log_action(
            organization=self.organization,
            subject=self.organization,
            code="export.downloaded",
            actor=self.request.user,
            data={"kind": f"report:{report.name}", "format": export_format, "rows": len(rows)},
        )
        headers = [str(column.label) for column in report.columns]
        values = [export_row(report, row) for row in rows]
        return table_response(
            export_format=export_format,
            filename=f"{report.name}-{self.organization.slug}-{scope.end.isoformat()}",
            title=report.name,
            headers=headers,
            rows=values,
        )


def export_row(report: Report, row: dict) -> list:
    """Raw values for a spreadsheet (numbers stay numbers); text columns as shown."""
    values = []
    for column in report.columns:
        value = row.get(column.key)
        values.append(cell_text(row, column) if column.kind == "text" and value is not None else value)
    return values


def chart_rows(report: Report, rows: list[dict]) -> list[dict]:
    """Bars for the report's chart column, as a percentage of the largest value of the same currency (amounts of
    different currencies are never measured against each other); CSS widths, no script needed."""
    if not report.chart or report.chart == "aging":
        return []
    column = next(column for column in report.columns if column.key == report.chart)
    values = [float(row.get(column.key) or 0) for row in rows]
    largest: dict[str, float] = {}
    for row, value in zip(rows, values, strict=True):
        largest[row.get("currency", "")] = max(largest.get(row.get("currency", ""), 0.0), value)
    label_columns = [c for c in report.columns if c.kind in ("text", "month")][:2]
    return [
        {
            "label": " · ".join(cell_text(row, c) for c in label_columns),
            "text": cell_text(row, column),
            "percent": value / (largest[row.get("currency", "")] or 1.0) * 100,
        }
        for row, value in zip(rows, values, strict=True)
    ]


def with_bar_heights(rows: list[dict]) -> list[dict]:
    """Outstanding and overdue as a percentage of the currency's highest outstanding month (the trend's bars)."""
    highest: dict[str, float] = {}
    for row in rows:
        highest[row["currency"]] = max(highest.get(row["currency"], 0.0), float(row["outstanding"]))
    for row in rows:
        top = highest[row["currency"]] or 1.0
        row["outstanding_percent"] = float(row["outstanding"]) / top * 100
        row["overdue_percent"] = float(row["overdue"]) / top * 100
    return rows
