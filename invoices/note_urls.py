from __future__ import annotations

from django.urls import path

from invoices import note_views

app_name = "notes"

urlpatterns = [
    path("customers/<int:pk>/", note_views.CustomerNoteCreateView.as_view(), name="customer"),
    path("invoices/<int:pk>/", note_views.InvoiceNoteCreateView.as_view(), name="invoice"),
]
