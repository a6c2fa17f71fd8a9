"""Reads for mandate pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mandates.models import Mandate, MandateProfile, MandateState
from organizations.models import Organization


class MandateFilter(django_filters.FilterSet):
    """The same parameters on the Mandates page and on /api/v1/mandates/."""

    state = django_filters.MultipleChoiceFilter(choices=MandateState.choices, help_text="One or more states.")
    profile = django_filters.NumberFilter(field_name="profile_id", help_text="Mandate profile id.")
    customer = django_filters.NumberFilter(field_name="customer_id", help_text="Customer id.")
    search = django_filters.CharFilter(method="filter_search", label=_("Search"),
                                       help_text="Reference, customer name or reference, debtor name.")  # fmt: skip

    class Meta:
        model = Mandate
        fields = ["state", "profile", "customer", "search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(customer__name__icontains=value)
            | Q(customer__external_ref__iexact=value) | Q(debtor_name__icontains=value)
        )  # fmt: skip


def profiles_with_counts(*, organization: Organization) -> QuerySet[MandateProfile]:
    return MandateProfile.objects.filter(organization=organization).annotate(
        signed_count=Count("mandates", filter=Q(mandates__state=MandateState.SIGNED)),
        mandate_count=Count("mandates"),
    )
