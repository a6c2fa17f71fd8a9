from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from customers.services import CUSTOMER_FIELDS
from organizations.models import Organization
from organizations.selectors import members_list


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = list(CUSTOMER_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        # Account managers only; a customer keeps the one it has even when that member no longer is one.
        current = Q(pk=self.instance.account_manager_id) if self.instance.account_manager_id else Q(pk__in=[])
        managers = members_list(organization=organization).filter(Q(is_account_manager=True) | current)
        self.fields["account_manager"].queryset = managers.select_related("user")
        self.fields["account_manager"].label_from_instance = lambda membership: str(membership.user)
        plans = self.fields["follow_up_plan"]
        plans.queryset = plans.queryset.filter(organization=organization)  # never another tenant's plans
        plans.empty_label = _("The organization's default plan")

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_external_ref(self) -> str:
        value = self.cleaned_data["external_ref"].strip()
        clash = Customer.objects.filter(organization=self.organization, external_ref=value)
        if value and clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another customer already has this external reference."))
        return value


class ContactForm(forms.ModelForm):
    email = forms.EmailField(label=_("E-mail"), required=False)

    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "notify"]
