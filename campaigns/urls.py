from __future__ import annotations

from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.CampaignListView.as_view(), name="list"),
    path("<int:pk>/", views.CampaignDetailView.as_view(), name="detail"),
    path("<int:pk>/remind/", views.CampaignRemindView.as_view(), name="remind"),
    path("<int:pk>/close/", views.CampaignCloseView.as_view(), name="close"),
]
