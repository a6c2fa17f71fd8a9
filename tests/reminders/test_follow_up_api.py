from __future__ import annotations

from datetime import date

import pytest

from messaging.models import Dispatch
from reminders.models import FollowUpPlan

pytestmark = pytest.mark.django_db


def test_create_and_update_a_plan_with_steps(world, api_a):
    response = api_a.post("/api/v1/follow-up-plans/", {"name": "API plan", "grouping": "invoice", "steps": [
        {"name": "Reminder", "offset_days": 7, "channel": "email", "purpose": "reminder_1"},
        {"name": "Before", "offset_days": -3, "channel": "email", "purpose": "pre_due"},
    ]}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(s["position"], s["name"]) for s in body["steps"]] == [(1, "Before"), (2, "Reminder")]
    keep = body["steps"][0]["id"]
    response = api_a.patch(f"/api/v1/follow-up-plans/{body['id']}/", {"steps": [
        {"id": keep, "name": "Before due", "offset_days": -2, "channel": "email", "purpose": "pre_due"},
        {"name": "Call", "offset_days": 40, "channel": "task"},
    ]}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    plan = FollowUpPlan.objects.get(pk=body["id"])
    assert [(s.pk == keep, s.name) for s in plan.steps.order_by("position")] == [(True, "Before due"), (False, "Call")]


def test_a_plan_name_is_unique_in_the_organization(world, api_a):
    response = api_a.post("/api/v1/follow-up-plans/", {"name": "Standard", "grouping": "customer", "steps": []},
                          format="json")  # fmt: skip
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]


def test_customer_follow_up_plan_field(world, api_a):
    response = api_a.patch(
        f"/api/v1/customers/{world.a.customer.pk}/", {"follow_up_plan": world.a.plan.pk}, format="json"
    )
    assert response.json()["follow_up_plan"] == world.a.plan.pk
    response = api_a.patch(
        f"/api/v1/customers/{world.a.customer.pk}/", {"follow_up_plan": world.b.plan.pk}, format="json"
    )
    assert response.status_code == 400


def test_remind_an_invoice_now_through_the_api(world, debtor, make_invoice, api_a):
    invoice = make_invoice("API-1", date(2026, 11, 1))
    response = api_a.post(f"/api/v1/invoices/{invoice.pk}/remind/", {"purpose": "reminder_2"}, format="json")
    assert response.status_code == 201, response.json()
    dispatch = Dispatch.objects.get(pk=response.json()["id"])
    assert (dispatch.manual, dispatch.purpose, dispatch.invoice) == (True, "reminder_2", invoice)


def test_reminding_invoices_of_two_customers_is_refused(world, make_invoice, api_a):
    invoice = make_invoice("API-2", date(2026, 11, 1))
    response = api_a.post(f"/api/v1/invoices/{invoice.pk}/remind/", {"invoices": [world.a.invoice.pk]}, format="json")
    assert response.status_code == 400
    assert "different customers" in str(response.json())


def test_dispatches_are_listed_with_filters_and_read_as_sent(world, api_a):
    rows = api_a.get("/api/v1/dispatches/", {"invoice": world.a.invoice.pk}).json()["results"]
    assert [row["id"] for row in rows] == [world.a.dispatch.pk]
    detail = api_a.get(f"/api/v1/dispatches/{world.a.dispatch.pk}/").json()
    assert detail["text_body"] == "Please pay" and detail["invoices"][0]["number"] == "2026-001"
    assert api_a.get("/api/v1/dispatches/", {"status": "failed"}).json()["results"] == []


def test_pause_and_resume_invoices_and_customers(world, api_a):
    invoice_url = f"/api/v1/invoices/{world.a.invoice.pk}/"
    assert api_a.post(invoice_url + "pause/", {"reason": "Dispute by phone"}, format="json").json()["follow_up_paused"]
    assert not api_a.post(invoice_url + "resume/", format="json").json()["follow_up_paused"]
    customer_url = f"/api/v1/customers/{world.a.customer.pk}/"
    body = api_a.post(customer_url + "pause/", {"until": "2026-12-31"}, format="json").json()
    assert body["follow_up_paused_until"] == "2026-12-31"
    assert api_a.post(customer_url + "pause/", {}, format="json").status_code == 400
    assert api_a.post(customer_url + "resume/", format="json").json()["follow_up_paused_until"] is None


def test_tasks_can_be_marked_done(world, api_a):
    response = api_a.patch(f"/api/v1/tasks/{world.a.task.pk}/", {"status": "done"}, format="json")
    assert response.json()["status"] == "done" and response.json()["done_at"]


def test_a_partial_update_with_an_incomplete_new_step_names_the_missing_fields(world, api_a):
    plan = world.a.plan
    response = api_a.patch(f"/api/v1/follow-up-plans/{plan.pk}/", {"steps": [{"channel": "task"}]}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]["steps"]["0"]) == {"name", "offset_days"}
    kept = plan.steps.create(organization=world.org_a, position=1, name="Call", offset_days=30, channel="task")
    renamed = api_a.patch(
        f"/api/v1/follow-up-plans/{plan.pk}/", {"steps": [{"id": kept.pk, "name": "Phone"}]}, format="json"
    )
    assert renamed.status_code == 200, renamed.json()
    kept.refresh_from_db()
    assert (kept.name, kept.offset_days, kept.channel) == ("Phone", 30, "task")
