from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from organizations.models import ApiKeyScope, Organization, Role
from organizations.team import reachable_organizations, roles_grantable_by


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


class MemberAccessForm(forms.Form):
    """Role, account-manager status and organizations; the choices never exceed what `granter` holds."""

    role = forms.ChoiceField(label=_("Role"), initial=Role.MEMBER)
    is_account_manager = forms.BooleanField(
        label=_("Account manager"),
        required=False,
        help_text=_("Account managers can be assigned customers and appear in the account-manager lists."),
    )
    all_organizations = forms.BooleanField(label=_("Access to all organizations"), required=False, initial=True)
    organizations = forms.ModelMultipleChoiceField(
        label=_("Or only these organizations"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, granter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles_grantable_by(granter)
        self.fields["organizations"].queryset = reachable_organizations(granter).order_by("name")
        if not granter.all_organizations:
            self.fields["all_organizations"].initial = False
            self.fields["all_organizations"].disabled = True
            self.fields["all_organizations"].help_text = _("You reach chosen organizations only.")

    def access(self) -> dict:
        data = self.cleaned_data
        return {
            "role": data["role"],
            "is_account_manager": data["is_account_manager"],
            "all_organizations": data["all_organizations"],
            "organizations": list(data["organizations"]),
        }


class InviteForm(MemberAccessForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    field_order = ["email", "role", "is_account_manager", "all_organizations", "organizations"]


class AcceptInvitationForm(forms.Form):
    """A new account for the invited address: a name and a password (checked by Django's password validators)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        password = data.get("password1")
        if password and password != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif password:
            try:
                password_validation.validate_password(password)
            except ValidationError as error:
                self.add_error("password1", error)
        return data
