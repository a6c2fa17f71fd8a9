from __future__ import annotations

from django.urls import path

from mandates import collection_views as views

app_name = "collections"

urlpatterns = [
    path("", views.BatchListView.as_view(), name="list"),
    path("new/", views.BatchCreateView.as_view(), name="create"),
    path("<int:pk>/", views.BatchDetailView.as_view(), name="detail"),
    path("<int:pk>/xml/", views.BatchXmlView.as_view(), name="xml"),
    path("<int:pk>/submitted/", views.BatchSubmitView.as_view(), name="submit"),
    path("<int:pk>/paid/", views.BatchPaidView.as_view(), name="paid"),
    path("<int:pk>/cancel/", views.BatchCancelView.as_view(), name="cancel"),
    path("debits/<int:pk>/return/", views.DebitReturnView.as_view(), name="return"),
]
