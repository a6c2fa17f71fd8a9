from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.models import ApiKeyScope, Organization


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "country",
            "time_zone",
            "default_language",
            "currency",
            "sender_name",
            "sender_email",
            "reply_to_email",
            "vat_number",
            "address",
            "payment_reference_format",
            "require_two_factor_for_owners",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payment_reference_format"].required = False  # left out: as it was

    def clean_payment_reference_format(self) -> str:
        return self.cleaned_data.get("payment_reference_format") or self.instance.payment_reference_format

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Where the key is used, e.g. 'ERP sync'."))
    scope = forms.ChoiceField(label=_("Access"), choices=ApiKeyScope.choices, initial=ApiKeyScope.READ)


class BankAccountForm(forms.Form):
    """IBAN and BIC are checked by `bank_account_save`; its errors are shown next to these fields."""

    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    iban = forms.CharField(
        label=_("IBAN"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=20,
        required=False,
        help_text=_("Optional inside the EEA; filled in from the IBAN when we know the bank."),
    )
    holder_name = forms.CharField(
        label=_("Account holder"),
        max_length=70,
        required=False,
        help_text=_("The beneficiary name debtors see; empty: the organization's name."),
    )
    is_default = forms.BooleanField(label=_("Default for this currency"), required=False)
