from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mandates.models import MandateProfile
from mandates.services import PROFILE_FIELDS, profile_clean


class MandateProfileForm(forms.ModelForm):
    """The profile's fields; creditor identifier, IBAN, BIC and prefix are checked by SEPA rules."""

    class Meta:
        model = MandateProfile
        fields = list(PROFILE_FIELDS)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        for name in ("creditor_name", "creditor_id", "creditor_iban"):
            self.fields[name].required = True
        self.fields["creditor_id"].help_text = _("Your SEPA creditor identifier, e.g. BE68ZZZ0123456789.")
        self.fields["reference_prefix"].help_text = _(
            "Mandate references are this prefix and a number: MNDT-000042. Letters, digits and - only at the ends."
        )
        self.fields["language"].help_text = _("Empty: the customer's own language.")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = MandateProfile.objects.filter(organization=self.organization, name=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another profile already has this name."))
        return name

    def clean(self):
        data = super().clean()
        cleaned, errors = profile_clean({name: data.get(name) for name in PROFILE_FIELDS if name in data})
        for field, messages in errors.items():
            if field not in self.errors:
                for message in messages:
                    self.add_error(field, message)
        data.update({name: value for name, value in cleaned.items() if name not in errors})
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PrepareForm(forms.Form):
    profile = forms.ModelChoiceField(label=_("Mandate profile"), queryset=MandateProfile.objects.none())

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = MandateProfile.objects.filter(organization=organization, archived=False)


class SigningForm(forms.Form):
    """What the debtor fills in on the public page. The rules live in mandates.services.debtor_clean."""

    debtor_name = forms.CharField(label=_("Account holder's name"), max_length=70, required=False)
    debtor_street = forms.CharField(label=_("Street and number"), max_length=70, required=False)
    debtor_postal_code = forms.CharField(label=_("Postal code"), max_length=16, required=False)
    debtor_city = forms.CharField(label=_("City"), max_length=70, required=False)
    debtor_country = forms.CharField(label=_("Country code"), max_length=2, required=False,
                                     help_text=_("Two letters, e.g. BE, NL, FR or DE."))  # fmt: skip
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False,
                          help_text=_("Only needed when we cannot find it from your IBAN."))  # fmt: skip
    accept = forms.BooleanField(label=_("I have read the text above and agree to it."), required=False)
    signer_name = forms.CharField(label=_("Type your full name to sign"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("accept"):
            self.add_error("accept", _("Please confirm that you agree to the mandate text."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=300, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
