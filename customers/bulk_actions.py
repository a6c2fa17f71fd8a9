"""Bulk actions the customers app offers: assign (or clear) the account manager."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.bulk import BulkAction, ChunkResult
from customers.services import customers_assign_account_manager
from organizations.models import Membership
from organizations.selectors import account_managers_list


class AssignAccountManagerForm(forms.Form):
    account_manager = forms.ModelChoiceField(
        label=_("Account manager"), queryset=Membership.objects.none(), required=False,
        empty_label=_("Nobody (remove the account manager)"),
    )  # fmt: skip

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["account_manager"]
        field.queryset = account_managers_list(organization=organization)
        field.label_from_instance = lambda membership: str(membership.user)

    def cleaned_params(self) -> dict:
        manager = self.cleaned_data["account_manager"]
        return {"account_manager": manager.pk if manager else None}


def apply_assign_account_manager(*, organization, customer_ids, params, actor) -> ChunkResult:
    manager_id = params.get("account_manager")
    manager = account_managers_list(organization=organization).filter(pk=manager_id).first() if manager_id else None
    if manager_id and manager is None:
        raise ValueError(gettext("This member no longer has access to the organization or is no account manager."))
    customers_assign_account_manager(organization=organization, customer_ids=customer_ids, manager=manager,
                                     actor=actor)  # fmt: skip
    return ChunkResult(succeeded=len(customer_ids))


def describe_assign_account_manager(params, organization) -> str:
    manager = account_managers_list(organization=organization).filter(pk=params.get("account_manager")).first()
    if manager is None:
        return gettext("Remove the account manager")
    return gettext("Make %(name)s the account manager") % {"name": manager.user}


ASSIGN_ACCOUNT_MANAGER = BulkAction(
    name="assign_account_manager", label=_("Assign account manager"), form_class=AssignAccountManagerForm,
    apply=apply_assign_account_manager, describe=describe_assign_account_manager,
)  # fmt: skip
