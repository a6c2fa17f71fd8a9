"""The review API: list what awaits approval, approve, skip or postpone by ids (write access needed)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from messaging.models import Dispatch, DispatchStatus
from organizations.models import ActivityLog, ApiKeyScope
from organizations.services import api_key_create
from reminders.decide import decide_due_cross_tenant

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def waiting(reviewed):
    (dispatch,) = decide_due_cross_tenant(now=MONDAY)
    return dispatch


def test_the_list_shows_what_to_whom_how_much_and_a_preview(world, api_a, waiting):
    response = api_a.get("/api/v1/dispatches/awaiting-approval/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["id"], row["customer_name"], row["step_name"], row["level"]) == (
        waiting.pk,
        "Atelier Janssens",
        "Reminder",
        1,
    )
    assert (row["amount"], row["currency"], row["invoices"]) == ("1250.00", "EUR", ["AJ-100"])
    assert row["recipients"] == ["Jan Janssens <jan@janssens.example>"]
    assert row["subject"] == "Betalingsherinnering – Acme Belgium" and "AJ-100" in row["text_body"]


def test_approve_twice_queues_once_and_logs_the_key(world, api_a, waiting):
    first = api_a.post("/api/v1/dispatches/approve/", {"ids": [waiting.pk]}, format="json")
    second = api_a.post("/api/v1/dispatches/approve/", {"ids": [waiting.pk]}, format="json")
    assert first.json() == {"done": [waiting.pk], "unchanged": []}
    assert second.json() == {"done": [], "unchanged": [waiting.pk]}
    waiting.refresh_from_db()
    assert waiting.status == DispatchStatus.QUEUED
    (entry,) = ActivityLog.objects.filter(code="invoice.reminder_approved")
    assert entry.actor_api_key == world.a.api_key
    assert api_a.get("/api/v1/dispatches/awaiting-approval/").json()["results"] == []


def test_skip_and_postpone(world, api_a, waiting):
    response = api_a.post("/api/v1/dispatches/postpone/", {"ids": [waiting.pk], "until": "2099-01-04"}, format="json")
    assert response.json()["done"] == [waiting.pk]
    assert api_a.get("/api/v1/dispatches/awaiting-approval/").json()["results"] == []
    response = api_a.post("/api/v1/dispatches/skip/", {"ids": [waiting.pk]}, format="json")
    assert response.json()["done"] == [waiting.pk]
    assert Dispatch.objects.get(pk=waiting.pk).status == DispatchStatus.SKIPPED
    assert api_a.post("/api/v1/dispatches/postpone/", {"ids": [waiting.pk]}, format="json").status_code == 400


def test_a_read_only_key_lists_but_cannot_decide(world, api_client, waiting):
    _key, secret = api_key_create(organization=world.org_a, name="Reader", scope=ApiKeyScope.READ)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert len(api_client.get("/api/v1/dispatches/awaiting-approval/").json()["results"]) == 1
    for action in ("approve", "skip"):
        assert api_client.post(f"/api/v1/dispatches/{action}/", {"ids": [waiting.pk]}, format="json").status_code == 403
    assert Dispatch.objects.get(pk=waiting.pk).status == DispatchStatus.AWAITING_APPROVAL


def test_another_organizations_key_sees_and_moves_nothing(world, api_client, waiting):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.b.secret}")
    assert api_client.get("/api/v1/dispatches/awaiting-approval/").json()["results"] == []
    response = api_client.post("/api/v1/dispatches/approve/", {"ids": [waiting.pk]}, format="json")
    assert response.json() == {"done": [], "unchanged": [waiting.pk]}
    assert Dispatch.objects.get(pk=waiting.pk).status == DispatchStatus.AWAITING_APPROVAL


def test_a_plans_late_entry_step_and_review_switch_through_the_api(world, api_a, reviewed):
    plan = reviewed[0]
    second = plan.steps.get(name="Second reminder")
    response = api_a.patch(
        f"/api/v1/follow-up-plans/{plan.pk}/",
        {"late_entry_step": second.pk, "review_before_sending": False},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["late_entry_step"], response.json()["review_before_sending"]) == (second.pk, False)
    plan.refresh_from_db()
    assert (plan.late_entry_step, plan.review_before_sending) == (second, False)
    other_plan_step = world.a.plan.steps.create(organization=world.org_a, position=9, name="Elsewhere", offset_days=3)
    response = api_a.patch(
        f"/api/v1/follow-up-plans/{plan.pk}/", {"late_entry_step": other_plan_step.pk}, format="json"
    )
    assert response.status_code == 400 and "late_entry_step" in response.json()["error"]["fields"]
    foreign = world.b.plan.steps.create(organization=world.org_b, position=9, name="Foreign", offset_days=3)
    response = api_a.patch(f"/api/v1/follow-up-plans/{plan.pk}/", {"late_entry_step": foreign.pk}, format="json")
    assert response.status_code == 400


def test_a_step_before_the_due_date_is_refused_as_late_entry_through_the_api(world, api_a, reviewed):
    plan = reviewed[0]
    before = plan.steps.create(
        organization=world.org_a, position=0, name="Due soon", offset_days=-3, channel="email", purpose="pre_due"
    )
    response = api_a.patch(f"/api/v1/follow-up-plans/{plan.pk}/", {"late_entry_step": before.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["late_entry_step"] == [
        "Choose a step after the due date: a late arrival is overdue already."
    ]
    plan.refresh_from_db()
    assert plan.late_entry_step is None
