"""The reports' filter: period (dates typed as the reader writes them), account manager, currency, days."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.filters import NONE
from invoices.models import ReceivablesDay
from localized.forms import LocalDateField
from organizations.models import Membership, Organization
from organizations.selectors import members_list
from reports.scope import sees_whole_organization


def currency_choices(organization: Organization) -> list[tuple[str, str]]:
    """The currencies the organization has invoices in, read from its ledger (a few hundred rows at most)."""
    currencies = (
        ReceivablesDay.objects.filter(organization=organization)
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )
    return [("", _("All currencies"))] + [(currency, currency) for currency in currencies]


def manager_choices(organization: Organization, membership: Membership | None) -> list[tuple[str, str]]:
    """Everyone for those who see the whole organization; an account manager who is a member, only themselves."""
    if not sees_whole_organization(membership):
        return [(str(membership.pk), str(membership.user))]
    managers = members_list(organization=organization).filter(is_account_manager=True)
    return [("", _("Everyone")), (NONE, _("No account manager"))] + [
        (str(member.pk), str(member.user)) for member in managers
    ]


class ReportForm(forms.Form):
    start = LocalDateField(label=_("From"), required=False)
    end = LocalDateField(label=_("To"), required=False)
    account_manager = forms.ChoiceField(label=_("Account manager"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    days = forms.IntegerField(label=_("Paid within (days)"), required=False, min_value=1, max_value=365)

    def __init__(self, *args, organization: Organization, membership: Membership | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].choices = manager_choices(organization, membership)
        self.fields["currency"].choices = currency_choices(organization)
        self.fields["days"].widget.attrs.update({"inputmode": "numeric"})
