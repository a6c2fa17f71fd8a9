from __future__ import annotations

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.ReportIndexView.as_view(), name="index"),
    path("panels/", views.HomePanelView.as_view(), name="home-panel"),
    path("<slug:name>/", views.ReportView.as_view(), name="report"),
]
