from __future__ import annotations

from django.urls import path

from organizations import team_views, views

app_name = "configuration"

urlpatterns = [
    path("", views.ConfigurationIndexView.as_view(), name="index"),
    path("organization/", views.OrganizationSettingsView.as_view(), name="organization"),
    path("organization/sender/verify/", views.SenderVerificationSendView.as_view(), name="sender-verification"),
    path("bank-accounts/", views.BankAccountListView.as_view(), name="bank-accounts"),
    path("bank-accounts/<int:pk>/", views.BankAccountEditView.as_view(), name="bank-account-edit"),
    path("bank-accounts/<int:pk>/delete/", views.BankAccountDeleteView.as_view(), name="bank-account-delete"),
    path("members/", team_views.MembersView.as_view(), name="members"),
    path("members/<int:pk>/", team_views.MemberEditView.as_view(), name="member-edit"),
    path("members/<int:pk>/remove/", team_views.MemberRemoveView.as_view(), name="member-remove"),
    path("invitations/<int:pk>/resend/", team_views.InvitationResendView.as_view(), name="invitation-resend"),
    path("invitations/<int:pk>/revoke/", team_views.InvitationRevokeView.as_view(), name="invitation-revoke"),
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<int:pk>/revoke/", views.ApiKeyRevokeView.as_view(), name="api-key-revoke"),
]
