from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.models import Contact, Customer, CustomerBalance
from customers.services import CUSTOMER_FIELDS
from organizations.api.bases import OrganizationScopedSerializer
from organizations.selectors import account_managers_list


class ContactSerializer(OrganizationScopedSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "email",
            "phone",
            "notify",
            "email_status",
            "email_status_detail",
            "created_at",
        ]
        read_only_fields = ["email_status", "email_status_detail", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # A contact stays with its customer; move it by creating a new one.
            fields["customer"].read_only = True
        return fields


class NestedContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "notify", "email_status"]


class CustomerBalanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerBalance
        fields = ["currency", "open_amount"]


class CustomerSerializer(OrganizationScopedSerializer):
    contacts = NestedContactSerializer(many=True, read_only=True)
    balances = CustomerBalanceSerializer(
        many=True,
        read_only=True,
        help_text="What the customer owes per currency (open and disputed invoices); open_balance is the "
        "organization's currency only.",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            *CUSTOMER_FIELDS,
            "open_balance",
            "balances",
            "invoice_count",
            "oldest_open_due_date",
            "has_valid_email",
            "follow_up_paused_until",
            "follow_up_paused_reason",
            "contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "open_balance",
            "invoice_count",
            "oldest_open_due_date",
            "has_valid_email",
            "created_at",
            "updated_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organization = self.context.get("organization")
        if organization is not None and "account_manager" in self.fields:
            self.fields["account_manager"].queryset = account_managers_list(organization=organization)

    def validate_country(self, value: str) -> str:
        return value.upper()

    def validate_external_ref(self, value: str) -> str:
        value = value.strip()
        organization = self.context["organization"]
        clash = Customer.objects.filter(organization=organization, external_ref=value).exclude(
            pk=getattr(self.instance, "pk", None)
        )
        if value and clash.exists():
            raise serializers.ValidationError(_("Another customer already has this external reference."))
        return value
