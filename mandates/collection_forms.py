"""Forms of the Collections pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from localized.forms import LocalDateField
from mandates.models import MandateProfile
from mandates.returns import return_reason_choices
from organizations.models import Organization


class BatchForm(forms.Form):
    profile = forms.ModelChoiceField(label=_("Mandate profile"), queryset=MandateProfile.objects.none())
    collection_date = LocalDateField(
        label=_("Requested collection date"), required=False,
        help_text=_("Empty: the earliest date allowed. A date on a weekend or TARGET2 holiday moves to the next "
                    "business day."),
    )  # fmt: skip

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        # Never another tenant's profiles.
        self.fields["profile"].queryset = MandateProfile.objects.filter(organization=organization, archived=False)


class MarkPaidForm(forms.Form):
    paid_on = LocalDateField(label=_("Collected on"))


class ReturnForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason code"), choices=return_reason_choices)
