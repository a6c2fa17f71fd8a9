"""The member's own account pages (not inside an organization)."""

from __future__ import annotations

from django.urls import path

from organizations import account_views as views

urlpatterns = [
    path("two-factor/", views.TwoFactorView.as_view(), name="two-factor"),
    path("two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two-factor-setup"),
    path("two-factor/confirm/", views.TwoFactorConfirmView.as_view(), name="two-factor-confirm"),
    path("two-factor/disable/", views.TwoFactorDisableView.as_view(), name="two-factor-disable"),
]
