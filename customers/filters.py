"""The advanced customer filter, one definition for the customer list page and GET /api/v1/customers/.

Every parameter narrows the set (AND). Parameters that name related objects take plain ids and are
matched inside the organization, so they never reveal whether another tenant's id exists.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, F, Q, QuerySet
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.hooks import customer_mandates
from customers.models import Contact, Customer, CustomerType
from localized.filters import AmountFilter, use_language
from organizations.filters import IdFilter
from organizations.parsing import parse_id

# Search terms shorter than this match the start of the name or reference, not any part of four fields.
SHORT_SEARCH = 3
NONE = "none"
YES_NO = [("true", _("Yes")), ("false", _("No"))]
AGREEMENT_STATES = [
    ("prepared", _("Prepared")), ("invited", _("Invited")), ("opened", _("Opened")),
    ("signing", _("Signing started")), ("signed", _("Signed")), ("cancelled", _("Cancelled")),
    ("suspended", _("Suspended")), ("expired", _("Expired")),
]  # fmt: skip


class InArray(In):
    """`column IN (subquery)`, written `column = ANY(ARRAY(subquery))` on PostgreSQL.

    The array is computed once (an InitPlan) and then matched through the column's index, so it can join a
    BitmapOr with other indexed conditions; `IN (subquery)` inside an OR makes PostgreSQL filter every row.
    """

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


class IdOrNoneFilter(django_filters.CharFilter):
    """An id, or "none" for customers without one."""

    def filter(self, queryset, value):
        if value in ("", None):
            return queryset
        if value == NONE:
            return queryset.filter(**{f"{self.field_name}__isnull": True})
        number = parse_id(value)
        if number is None:
            return queryset.none()
        return queryset.filter(**{f"{self.field_name}_id": number})


def _boolean(value) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(str(value).lower())


class MineFilter(django_filters.ChoiceFilter):
    """`mine=true`: only rows whose customer has the reader as account manager (`field_name` leads to it).

    The reader is the request's membership; an API key is nobody's, so its "mine" is empty.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=YES_NO, **kwargs)

    def filter(self, queryset, value):
        if _boolean(value) is not True:
            return queryset
        membership = getattr(getattr(self.parent, "request", None), "membership", None)
        if membership is None:
            return queryset.none()
        return queryset.filter(**{f"{self.field_name}_id": membership.pk})


class BooleanChoiceFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=YES_NO, **kwargs)

    def filter(self, queryset, value):
        wanted = _boolean(value)
        return queryset if wanted is None else self.apply(queryset, wanted)

    def apply(self, queryset, wanted: bool):
        return queryset.filter(**{self.field_name: wanted})


class CustomerFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        help_text="Any part of the name, external reference, VAT number or contact e-mail; a term of one or two "
        "characters matches the start of the name or external reference.",
    )
    valid_email = BooleanChoiceFilter(
        field_name="has_valid_email",
        label=_("Valid e-mail"),
        help_text="At least one contact that receives messages has a valid, not bounced address.",
    )
    has_invoices = BooleanChoiceFilter(method="filter_has_invoices", label=_("Invoices"))
    has_overdue_invoices = BooleanChoiceFilter(method="filter_has_overdue", label=_("Overdue invoices"))
    # The open balance in the organization's currency (other currencies are shown apart, customers.stats).
    balance_min = AmountFilter(
        field_name="open_balance",
        lookup_expr="gte",
        label=_("Balance from"),
        help_text="Open balance in the organization's currency, at least this (machine form: 1234.56).",
    )
    balance_max = AmountFilter(
        field_name="open_balance",
        lookup_expr="lte",
        label=_("Balance to"),
        help_text="Open balance in the organization's currency, at most this (machine form: 1234.56).",
    )
    has_agreements = BooleanChoiceFilter(method="filter_has_agreements", label=_("Agreements"))
    profile = IdFilter(
        method="filter_agreements",
        label=_("Profile in use"),
        help_text="Id of a mandate profile the customer has an agreement on.",
    )
    agreement_state = django_filters.ChoiceFilter(
        choices=AGREEMENT_STATES, method="filter_agreements", label=_("Agreement state")
    )
    type = django_filters.ChoiceFilter(choices=CustomerType.choices, label=_("Type"))
    language = django_filters.CharFilter(label=_("Language"))
    country = django_filters.CharFilter(lookup_expr="iexact", label=_("Country"))
    account_manager = IdOrNoneFilter(
        field_name="account_manager", label=_("Account manager"), help_text='Membership id, or "none".'
    )
    mine = MineFilter(
        field_name="account_manager",
        label=_("Mine"),
        help_text="true: only the customers whose account manager is the signed-in member.",
    )
    follow_up_plan = IdOrNoneFilter(
        field_name="follow_up_plan",
        label=_("Follow-up plan"),
        help_text='Plan id, or "none" for customers on the default plan.',
    )
    external_ref = django_filters.CharFilter(label=_("External reference"), help_text="Exact external reference.")

    class Meta:
        model = Customer
        fields: list[str] = []

    def __init__(self, *args, organization=None, language: str | None = None, **kwargs):
        """`language`: a page's reader, who types `1.234,56`; None (API, jobs) reads only `1234.56`."""
        super().__init__(*args, **kwargs)
        self.organization = organization or getattr(self.request, "organization", None)
        use_language(self, language)
        if self.organization is not None:
            currency = self.organization.currency
            self.filters["balance_min"].label = _("Balance from (%(currency)s)") % {"currency": currency}
            self.filters["balance_max"].label = _("Balance to (%(currency)s)") % {"currency": currency}

    def today(self):
        zone = self.organization.zone if self.organization else timezone.get_current_timezone()
        return timezone.localdate(timezone=zone)

    def filter_search(self, queryset: QuerySet, name, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if len(value) < SHORT_SEARCH:
            # One or two characters: a substring match would hit a large share of every customer and no trigram
            # index can narrow it, so a short term matches the start of the name or reference (migration 0007).
            return queryset.filter(Q(name__istartswith=value) | Q(external_ref__istartswith=value))
        # One condition PostgreSQL answers from indexes alone (customers.migrations 0005: trigram indexes): the
        # three columns and the ids of customers with a matching contact e-mail are OR'ed as a BitmapOr of four
        # index scans. An OR with EXISTS on contacts scanned every customer instead, and a join would repeat a
        # customer per contact (DISTINCT).
        by_email = Contact.objects.filter(email__icontains=value)
        # Always inside the tenant: the organization's contacts, or (a caller without one) the listed customers'.
        if self.organization is not None:
            by_email = by_email.filter(organization=self.organization)
        else:
            by_email = by_email.filter(customer_id__in=queryset.values("pk"))
        return queryset.filter(
            Q(name__icontains=value) | Q(external_ref__icontains=value) | Q(vat_number__icontains=value)
            | Q(InArray(F("pk"), by_email.order_by().values("customer_id")))
        )  # fmt: skip

    def filter_has_invoices(self, queryset, name, value):
        wanted = _boolean(value)
        if wanted is None:
            return queryset
        return queryset.filter(invoice_count__gt=0) if wanted else queryset.filter(invoice_count=0)

    def filter_has_overdue(self, queryset, name, value):
        wanted = _boolean(value)
        if wanted is None:
            return queryset
        overdue = Q(oldest_open_due_date__lt=self.today())
        return queryset.filter(overdue) if wanted else queryset.exclude(overdue)

    def filter_has_agreements(self, queryset, name, value):
        wanted = _boolean(value)
        if wanted is None:
            return queryset
        agreements = Exists(self._mandates())
        return queryset.filter(agreements) if wanted else queryset.exclude(agreements)

    def filter_agreements(self, queryset, name, value):
        """Profile and state match the same agreement; other agreements of the customer do not matter."""
        if name == "agreement_state" and self.form.cleaned_data.get("profile") is not None:
            return queryset  # applied together with the profile below
        mandates = self._mandates()
        profile = self.form.cleaned_data.get("profile")
        state = self.form.cleaned_data.get("agreement_state")
        if profile is not None:
            mandates = mandates.filter(profile_id=profile)
        if state:
            mandates = mandates.filter(state=state)
        return queryset.filter(Exists(mandates))

    def _mandates(self):
        return customer_mandates()
