"""Reads for mandate pages, the API and other apps (the follow-up engine's collection hold)."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from invoices.models import Invoice
from mandates.models import CollectionItem, DebitStatus, Mandate, MandateProfile, MandateState
from organizations.filters import IdFilter
from organizations.models import Organization


class MandateFilter(django_filters.FilterSet):
    """The same parameters on the Mandates page and on /api/v1/mandates/."""

    state = django_filters.MultipleChoiceFilter(choices=MandateState.choices, help_text="One or more states.")
    profile = IdFilter(field_name="profile_id", help_text="Mandate profile id.")
    customer = IdFilter(field_name="customer_id", help_text="Customer id.")
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


def waiting_for_collection_q() -> Q:
    """Invoices handed over to direct debit (on signing): the customer has a signed mandate under a profile that
    moves open invoices to collection when signed, the invoice is in euro and the bank never returned a debit for
    it (a returned invoice goes back to follow-up)."""
    signed = Mandate.objects.filter(
        customer_id=OuterRef("customer_id"), state=MandateState.SIGNED, profile__collect_on_signing=True
    )
    returned = CollectionItem.objects.filter(invoice_id=OuterRef("pk"), status=DebitStatus.RETURNED)
    return Q(currency="EUR") & Q(Exists(signed)) & ~Q(Exists(returned))


def collection_hold_q() -> Q:
    """Invoices the follow-up engine leaves alone because direct debit takes care of them: a debit is
    requested, or they wait for the next collection (see waiting_for_collection_q)."""
    return Q(collection_requested_at__isnull=False) | waiting_for_collection_q()


def collection_hold_sql(alias: str) -> str:
    """collection_hold_q() as an SQL condition on the invoice table aliased `alias`, for hand-written statements
    (the follow-up engine's decide statement and its benchmark reference). Constants only; no parameters."""
    tables = {name: model._meta.db_table for name, model in (("mandate", Mandate), ("profile", MandateProfile),
              ("debit", CollectionItem))}  # fmt: skip
    # Uncorrelated subqueries: PostgreSQL hashes each once (a correlated EXISTS under OR/NOT runs per row).
    return f"""({alias}.collection_requested_at IS NOT NULL OR (
        {alias}.currency = 'EUR'
        AND {alias}.customer_id IN (
            SELECT hm.customer_id FROM {tables["mandate"]} AS hm JOIN {tables["profile"]} AS hp ON hp.id = hm.profile_id
            WHERE hm.state = '{MandateState.SIGNED.value}' AND hp.collect_on_signing)
        AND {alias}.id NOT IN (
            SELECT hr.invoice_id FROM {tables["debit"]} AS hr WHERE hr.status = '{DebitStatus.RETURNED.value}')))"""  # noqa: S608


def held_for_collection_ids(invoice_ids: list[int]) -> set[int]:
    return set(Invoice.objects.filter(pk__in=invoice_ids).filter(collection_hold_q()).values_list("pk", flat=True))
