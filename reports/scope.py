"""What a report covers: organization, period, account manager and currency, and who may see what.

Access (decided for issue 15, as Upflow does it): owners and admins see the whole organization and every
account manager; a member who is not an account manager (a finance user) sees the whole organization too; a
member who is an account manager sees only their own portfolio (the account-manager filter is forced to them,
the organization-wide view is not offered). An API key sees its whole organization.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from customers.filters import NONE
from invoices.models import Invoice, InvoiceStatus, Payment
from organizations.models import Membership, Organization
from organizations.parsing import parse_id

# Statuses whose invoices count as receivables in the history figures. Credited invoices were cancelled and
# written-off ones given up, on a day nobody recorded: both are left out of every figure, with their payments.
RECEIVABLE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.DISPUTED, InvoiceStatus.PAID)
MAX_MONTHS = 36


def sees_whole_organization(membership: Membership | None) -> bool:
    """Whether a reader may see every account manager's figures (None: an API key)."""
    return membership is None or membership.can_configure or not membership.is_account_manager


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Scope:
    organization: Organization
    today: date
    start: date  # first day of the period, inclusive
    end: date  # last day of the period, inclusive
    manager_id: int | None = None  # the customers' account manager (a membership id); None: anyone
    unassigned: bool = False  # only customers without an account manager
    currency: str = ""  # "": every currency, each shown apart

    @classmethod
    def build(
        cls,
        *,
        organization: Organization,
        membership: Membership | None,
        start: date | None = None,
        end: date | None = None,
        manager: str | int | None = None,
        currency: str = "",
        today: date | None = None,
    ) -> Scope:
        """The scope a reader asked for, narrowed to what their role allows. Defaults: the last 12 months."""
        today = today or timezone.localdate(timezone=organization.zone)
        end = end or today
        start = start or add_months(month_start(end), -11)
        if start > end:
            start, end = end, start
        start = max(start, add_months(month_start(end), -(MAX_MONTHS - 1)))
        scope = cls(organization=organization, today=today, start=start, end=end, currency=(currency or "").upper())
        if not sees_whole_organization(membership):
            return replace(scope, manager_id=membership.pk)
        if manager == NONE:
            return replace(scope, unassigned=True)
        if manager not in (None, ""):
            return replace(scope, manager_id=parse_id(str(manager)) or 0)
        return scope

    @property
    def manager_query(self) -> str:
        """The account-manager filter as the invoice list reads it ("" when none)."""
        if self.unassigned:
            return NONE
        return "" if self.manager_id is None else str(self.manager_id)

    def customer_condition(self, prefix: str = "") -> Q:
        if self.unassigned:
            return Q(**{f"{prefix}account_manager__isnull": True})
        if self.manager_id is not None:
            return Q(**{f"{prefix}account_manager_id": self.manager_id})
        return Q()

    def invoices(self) -> QuerySet[Invoice]:
        queryset = Invoice.objects.filter(organization=self.organization).filter(self.customer_condition("customer__"))
        if self.currency:
            queryset = queryset.filter(currency=self.currency)
        return queryset.order_by()

    def payments(self) -> QuerySet[Payment]:
        """Payments on receivable invoices of the scope."""
        queryset = Payment.objects.filter(
            organization=self.organization, invoice__status__in=RECEIVABLE_STATUSES
        ).filter(self.customer_condition("invoice__customer__"))
        if self.currency:
            queryset = queryset.filter(invoice__currency=self.currency)
        return queryset.order_by()

    def months(self) -> list[date]:
        first, last = month_start(self.start), month_start(self.end)
        months = [first]
        while months[-1] < last:
            months.append(add_months(months[-1], 1))
        return months

    @property
    def previous_start(self) -> date:
        """The start of the period of the same length just before this one (for trends)."""
        return self.start - timedelta(days=(self.end - self.start).days + 1)
