from __future__ import annotations

from django.urls import path

from invoices import views

app_name = "invoices"

urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="list"),
    path("new/", views.InvoiceCreateView.as_view(), name="create"),
    path("payments/by-reference/", views.PaymentByReferenceView.as_view(), name="payment-by-reference"),
    path("<int:pk>/", views.InvoiceDetailView.as_view(), name="detail"),
    path("<int:pk>/payments/", views.PaymentCreateView.as_view(), name="payment-create"),
    path("<int:pk>/status/", views.InvoiceStatusView.as_view(), name="status"),
    path("<int:pk>/follow-up/", views.FollowUpPauseView.as_view(), name="follow-up"),
    path("<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="pdf"),
]
