"""Bulk action the follow-up app offers on the customer list: assign a follow-up plan."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.bulk import BulkAction, ChunkResult
from customers.services import customers_assign_follow_up_plan
from reminders.models import FollowUpPlan


class AssignFollowUpPlanForm(forms.Form):
    follow_up_plan = forms.ModelChoiceField(
        label=_("Follow-up plan"), queryset=FollowUpPlan.objects.none(), required=False,
        empty_label=_("The organization's default plan"),
    )  # fmt: skip

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up_plan"].queryset = FollowUpPlan.objects.filter(organization=organization)

    def cleaned_params(self) -> dict:
        plan = self.cleaned_data["follow_up_plan"]
        return {"follow_up_plan": plan.pk if plan else None}


def apply_assign_follow_up_plan(*, organization, customer_ids, params, actor) -> ChunkResult:
    plan_id = params.get("follow_up_plan")
    plan = FollowUpPlan.objects.filter(organization=organization, pk=plan_id).first() if plan_id else None
    if plan_id and plan is None:
        raise ValueError(gettext("This follow-up plan no longer exists."))
    customers_assign_follow_up_plan(organization=organization, customer_ids=customer_ids, plan=plan, actor=actor)
    return ChunkResult(succeeded=len(customer_ids))


def describe_assign_follow_up_plan(params, organization) -> str:
    plan = FollowUpPlan.objects.filter(organization=organization, pk=params.get("follow_up_plan")).first()
    if plan is None:
        return gettext("Put back on the default follow-up plan")
    return gettext("Follow up with the plan “%(name)s”") % {"name": plan.name}


ASSIGN_FOLLOW_UP_PLAN = BulkAction(
    name="assign_follow_up_plan", label=_("Assign follow-up plan"), form_class=AssignFollowUpPlanForm,
    apply=apply_assign_follow_up_plan, describe=describe_assign_follow_up_plan,
)  # fmt: skip
