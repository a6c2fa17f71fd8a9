from __future__ import annotations

from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.CustomerListView.as_view(), name="list"),
    path("new/", views.CustomerCreateView.as_view(), name="create"),
    path("bulk/", views.BulkActionView.as_view(), name="bulk"),
    path("jobs/", views.BulkJobListView.as_view(), name="jobs"),
    path("jobs/<int:pk>/", views.BulkJobView.as_view(), name="job"),
    path("<int:pk>/", views.CustomerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CustomerUpdateView.as_view(), name="update"),
    path("<int:pk>/contacts/new/", views.ContactCreateView.as_view(), name="contact-create"),
    path("contacts/<int:pk>/edit/", views.ContactUpdateView.as_view(), name="contact-update"),
    path("contacts/<int:pk>/notify/", views.ContactNotifyToggleView.as_view(), name="contact-notify"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact-delete"),
]
