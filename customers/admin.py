from __future__ import annotations

from django.contrib import admin

from customers.models import Contact, Customer


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "notify", "email_status"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "external_ref", "organization", "type", "language", "country"]
    list_filter = ["organization", "type", "language"]
    search_fields = ["name", "external_ref", "vat_number"]
    raw_id_fields = ["account_manager"]
    inlines = [ContactInline]
