from __future__ import annotations

from django.urls import path

from mandates import views

app_name = "mandates"

urlpatterns = [
    path("", views.MandateListView.as_view(), name="list"),
    path("<int:pk>/", views.MandateDetailView.as_view(), name="detail"),
    path("<int:pk>/cancel/", views.MandateActionView.as_view(action="cancel"), name="cancel"),
    path("<int:pk>/suspend/", views.MandateActionView.as_view(action="suspend"), name="suspend"),
    path("<int:pk>/reactivate/", views.MandateActionView.as_view(action="reactivate"), name="reactivate"),
    path("<int:pk>/pdf/", views.MandatePdfView.as_view(), name="pdf"),
    path("prepare/<int:pk>/", views.MandatePrepareView.as_view(), name="prepare"),
]
