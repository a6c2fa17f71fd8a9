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
            "require_two_factor_for_owners",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Where the key is used, e.g. 'ERP sync'."))
    scope = forms.ChoiceField(label=_("Access"), choices=ApiKeyScope.choices, initial=ApiKeyScope.READ)
