from __future__ import annotations

from django.urls import path

from reminders import views

app_name = "templates"

urlpatterns = [
    path("", views.TemplateListView.as_view(), name="list"),
    path("<slug:purpose>/<slug:language>/", views.TemplateEditView.as_view(), name="edit"),
    path("<slug:purpose>/<slug:language>/preview/", views.TemplatePreviewView.as_view(), name="preview"),
]
