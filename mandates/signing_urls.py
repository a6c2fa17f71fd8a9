"""The public signing page: /sign/<token>/. No login, no organization in the URL; the token is the key."""

from __future__ import annotations

from django.urls import path

from mandates import signing_views as views

app_name = "signing"

urlpatterns = [
    path("<str:token>/", views.SignView.as_view(), name="sign"),
    path("<str:token>/started/", views.SigningStartedView.as_view(), name="started"),
    path("<str:token>/decline/", views.DeclineView.as_view(), name="decline"),
    path("<str:token>/thanks/", views.ThanksView.as_view(), name="thanks"),
    path("<str:token>/pdf/", views.SignedPdfView.as_view(), name="pdf"),
]
