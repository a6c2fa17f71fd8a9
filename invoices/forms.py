from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from invoices.models import Invoice, InvoiceStatus, PaymentMethod
from invoices.selectors import invoice_for_reference
from localized.forms import AmountField, LocalDateField
from organizations.models import Organization


class InvoiceForm(forms.ModelForm):
    # Text fields read in the reader's language (`1.234,56` / `1,234.56`), never type=number or type=date.
    issue_date = LocalDateField(label=_("Issue date"))
    due_date = LocalDateField(label=_("Due date"))
    amount = AmountField(label=_("Amount"))
    open_amount = AmountField(
        label=_("Open amount"),
        required=False,
        min_value=Decimal("0"),
        help_text=_("Leave empty when nothing has been paid yet."),
    )

    class Meta:
        model = Invoice
        fields = ["customer", "number", "issue_date", "due_date", "amount", "open_amount", "currency", "pdf"]

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["customer"].queryset = Customer.objects.filter(organization=organization)
        self.fields["currency"].initial = organization.currency

    def clean_number(self) -> str:
        value = self.cleaned_data["number"].strip()
        if Invoice.objects.filter(organization=self.organization, number=value).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another invoice already has this number."))
        return value

    def clean_pdf(self):
        pdf = self.cleaned_data.get("pdf")
        if pdf and hasattr(pdf, "read"):
            if pdf.read(5) != b"%PDF-":
                raise forms.ValidationError(_("This file is not a PDF."))
            pdf.seek(0)
        return pdf

    def clean(self):
        data = super().clean()
        if data.get("open_amount") is None and data.get("amount") is not None:
            data["open_amount"] = data["amount"]
        return data


class PaymentForm(forms.Form):
    amount = AmountField(label=_("Amount"), min_value=Decimal("0.01"))
    paid_on = LocalDateField(label=_("Paid on"), initial=timezone.localdate)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (InvoiceStatus.DISPUTED, _("Disputed")),
            (InvoiceStatus.OPEN, _("Open (dispute resolved)")),
            (InvoiceStatus.CREDITED, _("Credited")),
            (InvoiceStatus.WRITTEN_OFF, _("Written off")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class PaymentByReferenceForm(forms.Form):
    """A transfer as the bank statement shows it: the payment reference finds the invoice."""

    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=140,
        help_text=_("As on the bank statement: +++090/9337/55493+++, 090933755493 or RF18 5390 0754 7034."),
    )
    amount = AmountField(
        label=_("Amount"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=_("Empty: the invoice's whole open amount."),
    )
    paid_on = LocalDateField(label=_("Paid on"), initial=timezone.localdate)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip()
        self.invoice = invoice_for_reference(organization=self.organization, reference=reference)
        if self.invoice is None:
            raise forms.ValidationError(_("No invoice has this payment reference."))
        return reference
