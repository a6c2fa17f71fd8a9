from __future__ import annotations

from django.contrib import admin

from mailroom.models import StoredEmail


@admin.register(StoredEmail)
class StoredEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "subject"]
    list_filter = ["organization"]
    search_fields = ["subject"]
