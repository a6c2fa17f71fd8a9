"""URL map. Organization pages live under /o/<organization_slug>/; the API under /api/v1/."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from collect import views
from organizations.account_views import TwoFactorVerifyView
from organizations.team_views import InvitationAcceptView
from organizations.views import OrganizationSwitchView, SenderVerifyView, home
from reminders.follow_up_views import ActionsView, FollowUpOverviewView
from reports.views import HomeView

organization_patterns = [
    path("", HomeView.as_view(), name="dashboard"),
    path("customers/", include("customers.urls")),
    path("invoices/", include("invoices.urls")),
    path("notes/", include("invoices.note_urls")),
    path("campaigns/", include("campaigns.urls")),
    path("imports/", include("invoices.import_urls")),
    path("configuration/", include("organizations.urls")),
    path("configuration/outgoing-mail/", include("mailroom.urls")),
    path("configuration/templates/", include("reminders.template_urls")),
    path("configuration/mandate-profiles/", include("mandates.profile_urls")),
    path("mandates/", include("mandates.urls")),
    path("follow-up/", FollowUpOverviewView.as_view(), name="follow-up"),
    path("follow-up/", include("reminders.urls")),
    path("actions/", ActionsView.as_view(), name="actions"),
    path("collections/", include("mandates.collection_urls")),
    path("reports/", include("reports.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (files, error pages): the same icon.
    path("favicon.ico", views.favicon, name="favicon"),
    path("switch/", OrganizationSwitchView.as_view(), name="organization-switch"),
    path("verify-sender/<str:token>/", SenderVerifyView.as_view(), name="sender-verify"),
    path("invitations/<str:token>/", InvitationAcceptView.as_view(), name="invitation-accept"),
    path("o/<slug:organization_slug>/", include(organization_patterns)),
    path("api/v1/", include("collect.api.urls")),
    path("sign/", include("mandates.signing_urls")),
    path("webhooks/anymail/", include("anymail.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/login/code/", TwoFactorVerifyView.as_view(), name="two-factor-verify"),
    path("account/", include("organizations.account_urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
handler404 = "collect.views.page_not_found"
handler400 = "collect.views.bad_request"
