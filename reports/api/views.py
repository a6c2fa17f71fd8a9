"""Reports as JSON: GET /api/v1/reports/<name>/, the same rows as the page and its exports, tenant-scoped."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from invoices.models import Invoice
from organizations.api.bases import OrganizationScopedMixin
from reports.registry import REPORTS, ReportOptions
from reports.scope import Scope


class ReportQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day of the period (ISO). Default: 11 months back.")
    end = serializers.DateField(required=False, help_text="Last day of the period (ISO). Default: today.")
    account_manager = serializers.CharField(
        required=False, max_length=20, help_text='Membership id, or "none" for customers without one.'
    )
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False, help_text="ISO currency code.")
    days = serializers.IntegerField(required=False, min_value=1, max_value=365, help_text="Follow-up: paid within.")


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()


class ReportSerializer(serializers.Serializer):
    report = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    account_manager = serializers.CharField(allow_blank=True)
    currency = serializers.CharField(allow_blank=True)
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField())


class ReportApiView(OrganizationScopedMixin, APIView):
    """One report of the organization as JSON (`aging`, `actions`, `performance`, `days-to-pay`, `top-debtors`,
    `follow-up`). Amounts are strings with two decimals in the row's `currency`; `links` point to the invoice list."""

    model = Invoice

    @extend_schema(
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(REPORTS)),
            ReportQuerySerializer,
        ],
        responses=ReportSerializer,
    )
    def get(self, request, name: str):
        report = REPORTS.get(name)
        if report is None:
            raise Http404
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        scope = Scope.build(
            organization=self.organization,
            membership=self.membership,
            start=data.get("start"),
            end=data.get("end"),
            manager=data.get("account_manager"),
            currency=data.get("currency", ""),
        )
        rows = report.rows(scope, ReportOptions(days=data.get("days") or ReportOptions.days))
        body = {
            "report": report.name,
            "title": str(report.title),
            "start": scope.start,
            "end": scope.end,
            "account_manager": scope.manager_query,
            "currency": scope.currency,
            "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in report.columns],
            "rows": [_json_row(row) for row in rows],
        }
        return Response(ReportSerializer(body).data)


def _json_row(row: dict) -> dict:
    plain = {}
    for key, value in row.items():
        if key == "buckets":
            continue
        plain[key] = value if isinstance(value, bool | int | str | dict | type(None)) else str(value)
    return plain
