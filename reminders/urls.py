from __future__ import annotations

from django.urls import path

from reminders import follow_up_views as views

app_name = "follow_up"

urlpatterns = [
    path("plans/new/", views.PlanEditView.as_view(), name="plan-create"),
    path("plans/<int:pk>/", views.PlanEditView.as_view(), name="plan"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("upcoming/", views.UpcomingView.as_view(), name="upcoming"),
    path("to-approve/", views.ToApproveView.as_view(), name="to-approve"),
    path("messages/", views.DispatchListView.as_view(), name="dispatches"),
    path("messages/<int:pk>/", views.DispatchDetailView.as_view(), name="dispatch"),
    path("customers/<int:pk>/pause/", views.CustomerPauseView.as_view(), name="customer-pause"),
    path("tasks/<int:pk>/", views.TaskToggleView.as_view(), name="task-toggle"),
    path("remind/", views.RemindNowView.as_view(), name="remind"),
]
