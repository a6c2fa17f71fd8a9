from __future__ import annotations

from django.urls import path

from mailroom import views

app_name = "mailroom"

urlpatterns = [
    path("", views.StoredEmailListView.as_view(), name="list"),
    path("<int:pk>/", views.StoredEmailDetailView.as_view(), name="detail"),
]
