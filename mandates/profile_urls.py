from __future__ import annotations

from django.urls import path

from mandates import views

app_name = "mandate_profiles"

urlpatterns = [
    path("", views.ProfileListView.as_view(), name="list"),
    path("new/", views.ProfileEditView.as_view(), name="create"),
    path("<int:pk>/", views.ProfileEditView.as_view(), name="edit"),
    path("<int:pk>/archive/", views.ProfileArchiveView.as_view(), name="archive"),
]
