"""Forms of the Collections pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from localized.forms import LocalDateField
from mandates.collection_selection import Selection
from mandates.models import MandateProfile
from mandates.returns import return_reason_choices
from organizations.models import Organization
from organizations.parsing import parse_ids


def posted_ids(values: list[str]) -> set[int]:
    """Ids posted from checkboxes and hidden inputs; anything that is not one (`²`, `-1`, `1e20`) is ignored."""
    return set(parse_ids(values))


class BatchForm(forms.Form):
    profile = forms.ModelChoiceField(label=_("Mandate profile"), queryset=MandateProfile.objects.none())
    collection_date = LocalDateField(
        label=_("Requested collection date"), required=False,
        help_text=_("Empty: the earliest date allowed. A date on a weekend or TARGET2 holiday moves to the next "
                    "business day."),
    )  # fmt: skip
    include_not_yet_due = forms.BooleanField(
        label=_("Include invoices not yet due"),
        required=False,
        help_text=_(
            "Also debit invoices that fall due after the collection date. Without it, only invoices due "
            "on or before the collection date are debited."
        ),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        # Never another tenant's profiles.
        self.fields["profile"].queryset = MandateProfile.objects.filter(organization=organization, archived=False)

    def selection(self, *, previewed: bool = False) -> Selection:
        """The staff's choice; with `previewed`, limited to the invoices the preview listed.

        Ids are only used to narrow what the organization's own collectable invoices hold (never trusted).
        """
        return Selection.of(
            include_not_yet_due=self.cleaned_data["include_not_yet_due"],
            invoice_ids=posted_ids(self.data.getlist("previewed")) if previewed else None,
            exclude_invoices=posted_ids(self.data.getlist("exclude_invoice")),
            exclude_customers=posted_ids(self.data.getlist("exclude_customer")),
        )


class MarkPaidForm(forms.Form):
    paid_on = LocalDateField(label=_("Collected on"))


class ReturnForm(forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason code"), choices=return_reason_choices)
