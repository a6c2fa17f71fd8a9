from __future__ import annotations

from django.contrib import admin

from invoices.models import Invoice, Payment


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["amount", "paid_on", "method", "reference"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "organization", "customer", "due_date", "amount", "open_amount", "status"]
    list_filter = ["organization", "status"]
    search_fields = ["number", "customer__name"]
    raw_id_fields = ["customer"]
    inlines = [PaymentInline]
