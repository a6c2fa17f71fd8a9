from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from localized.forms import AmountField, LocalDateField
from messaging.models import FallbackChannel, TemplatePurpose
from messaging.templating import TemplateTextError, validate_text
from organizations.models import Membership
from organizations.selectors import members_list
from reminders.models import FollowUpPlan, FollowUpSettings, FollowUpStep

WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]  # fmt: skip


class PlanForm(forms.ModelForm):
    class Meta:
        model = FollowUpPlan
        fields = ["name", "grouping", "is_default", "fallback_channel", "late_entry_step", "review_before_sending"]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["fallback_channel"].required = False  # not chosen: today's behaviour, a task for a person
        # Only this plan's own steps after the due date (a new plan has none yet: save its steps first). A late
        # arrival is overdue already: a step before the due date would send it the "due soon" text.
        steps = FollowUpStep.objects.filter(plan=self.instance) if self.instance.pk else FollowUpStep.objects.none()
        self.fields["late_entry_step"].queryset = steps.filter(offset_days__gt=0).order_by("position")
        self.fields["late_entry_step"].empty_label = _("The first reminder after the due date")

    def clean_fallback_channel(self) -> str:
        return self.cleaned_data.get("fallback_channel") or FallbackChannel.TASK

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = FollowUpPlan.objects.filter(organization=self.organization, name=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another plan already has this name."))
        return name


def member_label(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email


class StepForm(forms.ModelForm):
    # Typed as the reader writes amounts (`1.234,56` / `1,234.56`), never type=number.
    min_open_amount = AmountField(label=_("Minimum open amount"), required=False, min_value=Decimal("0"))

    class Meta:
        model = FollowUpStep
        fields = ["name", "offset_days", "channel", "purpose", "min_open_amount", "attach_pdfs", "cc_account_manager",
                  "bcc_sender", "assignee"]  # fmt: skip

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        # Only members who reach this organization: another tenant's membership is as unknown as a missing one.
        self.fields["assignee"].queryset = members_list(organization=organization)
        self.fields["assignee"].label_from_instance = member_label
        self.fields["assignee"].empty_label = _("The customer's account manager")

    def clean(self):
        data = super().clean()
        if data.get("channel") == "email" and not data.get("purpose"):
            self.add_error("purpose", _("Choose the message this e-mail step sends."))
        return data


class BaseStepFormSet(forms.BaseModelFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # Only this plan's steps: an id of another organization's step is as unknown as a missing one.
        form.fields["id"].queryset = self.get_queryset()

    def clean(self):
        super().clean()
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        offsets = sorted(data["offset_days"] for data in kept if "offset_days" in data)
        if len(offsets) != len(set(offsets)):
            raise forms.ValidationError(_("Two steps cannot fall on the same day."))


StepFormSet = forms.modelformset_factory(FollowUpStep, form=StepForm, formset=BaseStepFormSet, extra=1, can_delete=True)


class SettingsForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(label=_("Sending days"), choices=WEEKDAYS, coerce=int,
                                              widget=forms.CheckboxSelectMultiple, required=True)  # fmt: skip

    class Meta:
        model = FollowUpSettings
        fields = ["sending_enabled", "test_mode", "weekdays", "send_start", "send_end", "lateness_days"]
        widgets = {
            "send_start": forms.TimeInput(attrs={"type": "time"}),
            "send_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.weekdays:
            self.initial["weekdays"] = [0, 1, 2, 3, 4]

    def clean(self):
        data = super().clean()
        if data.get("send_start") and data.get("send_end") and data["send_start"] >= data["send_end"]:
            self.add_error("send_end", _("The window must end after it starts."))
        return data


class CustomerPauseForm(forms.Form):
    until = LocalDateField(label=_("Pause until (inclusive)"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class RemindForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Message"), choices=TemplatePurpose.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}))

    def clean(self):
        data = super().clean()
        for name in ("subject", "body"):
            try:
                validate_text(data.get(name, ""))
            except TemplateTextError as error:
                self.add_error(name, error.problems)
        return data


class ReviewForm(forms.Form):
    """A decision on the messages awaiting approval: the ticked rows, or every awaiting one shown (`select_all`)."""

    APPROVE, SKIP, POSTPONE = "approve", "skip", "postpone"
    action = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (SKIP, _("Skip")), (POSTPONE, _("Postpone"))])
    until = LocalDateField(label=_("Postpone until"), required=False)
    select_all = forms.BooleanField(required=False)
    # What "every awaiting one" meant when the page was shown: the highest id listed and the page's moment. A
    # message decided (or back from a postponement) after that was never seen, so select-all leaves it alone.
    cutoff = forms.IntegerField(required=False, min_value=0)
    shown_at = forms.DateTimeField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == self.POSTPONE and not data.get("until"):
            self.add_error("until", _("Choose the day the messages come back for review."))
        if data.get("select_all") and (data.get("cutoff") is None or data.get("shown_at") is None):
            self.add_error(None, _("The list has changed: reload the page and select again."))
        return data


def plan_data(form: PlanForm) -> dict:
    """The plan's fields as the service takes them."""
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


def steps_data(formset) -> list[dict]:
    """The steps kept on the page (named, not deleted), with their ids, as the service takes them."""
    return [
        {"id": form.instance.pk, **{name: form.cleaned_data[name] for name in StepForm.Meta.fields}}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("name")
    ]


def settings_data(form: SettingsForm) -> dict:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}
