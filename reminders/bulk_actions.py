"""Bulk action the follow-up app offers on the customer list: assign a follow-up plan."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.bulk import BulkAction, ChunkResult
from customers.models import BulkJob, Customer
from customers.services import customers_assign_follow_up_plan
from invoices.models import Invoice, InvoiceStatus
from messaging.models import Dispatch, TemplatePurpose
from reminders.manual import reminder_send_now
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


class SendReminderForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Message"), choices=TemplatePurpose.choices, initial=TemplatePurpose.REMINDER_1)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)

    def cleaned_params(self) -> dict:
        return {"purpose": self.cleaned_data["purpose"]}


def apply_send_reminder(*, organization, customer_ids, params, actor) -> ChunkResult:
    """One message per customer listing all its open invoices. Safe to repeat: a customer that already got a
    manual reminder with this message since the job started is not sent another."""
    result = ChunkResult()
    started = BulkJob.objects.get(pk=params["job_id"]).created_at if params.get("job_id") else None
    already = set()
    if started:
        already = set(Dispatch.objects.filter(organization=organization, customer_id__in=customer_ids, manual=True,
                                              purpose=params["purpose"], created_at__gte=started)
                      .values_list("customer_id", flat=True))  # fmt: skip
    customers = Customer.objects.filter(organization=organization, pk__in=customer_ids)
    open_invoices = Invoice.objects.filter(organization=organization, customer_id__in=customer_ids,
                                           status=InvoiceStatus.OPEN, open_amount__gt=0)  # fmt: skip
    by_customer: dict[int, list[int]] = {}
    for invoice_id, customer_id in open_invoices.values_list("pk", "customer_id"):
        by_customer.setdefault(customer_id, []).append(invoice_id)
    for customer in customers:
        if customer.pk in already:
            result.succeeded += 1
            continue
        if customer.pk not in by_customer:
            result.problems.append(
                {"customer": customer.pk, "name": customer.name, "message": gettext("Nothing is owed.")}
            )
            continue
        if not customer.has_valid_email:
            result.problems.append({"customer": customer.pk, "name": customer.name,
                                    "message": gettext("No contact with a valid e-mail address.")})  # fmt: skip
            continue
        reminder_send_now(organization=organization, invoice_ids=by_customer[customer.pk], actor=actor,
                          purpose=params["purpose"])  # fmt: skip
        result.succeeded += 1
    return result


def describe_send_reminder(params, organization) -> str:
    return gettext("Send “%(message)s” to each customer, listing all its open invoices") % {
        "message": TemplatePurpose(params["purpose"]).label}  # fmt: skip


SEND_REMINDER = BulkAction(
    name="send_reminder", label=_("Send a reminder"), form_class=SendReminderForm,
    apply=apply_send_reminder, describe=describe_send_reminder,
)  # fmt: skip
