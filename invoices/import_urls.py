"""Imports and exports under /o/<organization_slug>/imports/."""

from __future__ import annotations

from django.urls import path

from invoices import import_views as views

app_name = "imports"

urlpatterns = [
    path("", views.ImportStartView.as_view(), name="start"),
    path("<int:pk>/", views.ImportPreviewView.as_view(), name="preview"),
    path("<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="confirm"),
    path("<int:pk>/cancel/", views.ImportCancelView.as_view(), name="cancel"),
    path("templates/customers.csv", views.ImportTemplateView.as_view(kind="customers"), name="customers-template"),
    path("templates/invoices.csv", views.ImportTemplateView.as_view(kind="invoices"), name="invoices-template"),
    path("customers/export/", views.CustomerExportView.as_view(), name="customers-export"),
    path("invoices/export/", views.InvoiceExportView.as_view(), name="invoices-export"),
]
