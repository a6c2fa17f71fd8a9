"""The invoice filter, one definition for the invoice list page and GET /api/v1/invoices/."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.filters import IdOrNoneFilter, MineFilter
from invoices import references
from invoices.models import Invoice, InvoiceStatus
from localized.filters import LocalDateFilter
from organizations.filters import IdFilter

MAX_DAYS = 36500  # a hundred years: beyond that a date range is meaningless (and overflows)
SORTS = {
    "-days_overdue": ("due_date", "id"),  # most overdue first
    "days_overdue": ("-due_date", "-id"),
    "-open_amount": ("-open_amount", "id"),
    "number": ("number", "id"),
    "-issue_date": ("-issue_date", "-id"),
}


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search", label=_("Search"), help_text="Invoice number, customer name or payment reference."
    )
    number = django_filters.CharFilter(label=_("Number"), help_text="Exact invoice number.")
    customer = IdFilter(field_name="customer_id", label=_("Customer"))
    account_manager = IdOrNoneFilter(
        field_name="customer__account_manager",
        label=_("Account manager"),
        help_text='The customer\'s account manager: membership id, or "none".',
    )
    mine = MineFilter(
        field_name="customer__account_manager",
        label=_("Mine"),
        help_text="true: only invoices of customers whose account manager is the signed-in member.",
    )
    customer_ref = django_filters.CharFilter(field_name="customer__external_ref", label=_("Customer reference"))
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("Status"))
    currency = django_filters.CharFilter(lookup_expr="iexact", label=_("Currency"))
    # Day first (03-12-2026) or ISO (2026-12-03), the same on pages and in the API.
    due_before = LocalDateFilter(field_name="due_date", lookup_expr="lt", label=_("Due before"))
    due_after = LocalDateFilter(field_name="due_date", lookup_expr="gte", label=_("Due on or after"))
    overdue_min = django_filters.NumberFilter(
        method="filter_overdue_min",
        label=_("Days overdue from"),
        help_text="Open or disputed, at least this many days past due.",
    )
    overdue_max = django_filters.NumberFilter(
        method="filter_overdue_max",
        label=_("Days overdue to"),
        help_text="Open or disputed, at most this many days past due (0 = not yet due).",
    )
    outstanding = django_filters.BooleanFilter(
        method="filter_outstanding", label=_("Outstanding"), help_text="true: open or disputed (still owed)."
    )
    follow_up_paused = django_filters.BooleanFilter(label=_("Follow-up paused"))

    class Meta:
        model = Invoice
        fields: list[str] = []

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization or getattr(self.request, "organization", None)

    def today(self):
        return timezone.localdate(timezone=self.organization.zone) if self.organization else timezone.localdate()

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        matches = Q(number__icontains=value) | Q(customer__name__icontains=value)
        reference = references.normalize(value)
        if len(reference) >= 4:  # `+++090/9337/55493+++` and `RF18 5390…` as typed or pasted
            matches |= Q(payment_reference__contains=reference)
        return queryset.filter(matches)

    def filter_outstanding(self, queryset, name, value):
        owed = Q(status__in=Invoice.OWED_STATUSES)
        return queryset.filter(owed) if value else queryset.exclude(owed)

    def filter_overdue_min(self, queryset, name, value):
        if abs(value) > MAX_DAYS:
            return queryset.none()
        due_by = self.today() - timedelta(days=int(value))
        return queryset.filter(status__in=Invoice.OWED_STATUSES, due_date__lte=due_by)

    def filter_overdue_max(self, queryset, name, value):
        if abs(value) > MAX_DAYS:
            return queryset.none()
        due_from = self.today() - timedelta(days=int(value))
        return queryset.filter(status__in=Invoice.OWED_STATUSES, due_date__gte=due_from)
