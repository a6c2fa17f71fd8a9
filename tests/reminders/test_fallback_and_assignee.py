"""A refused e-mail follows the plan's fallback; a step's tasks go to its chosen member or the account manager."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from customers.models import EmailStatus
from messaging.delivery import deliver_one
from messaging.models import DispatchStatus, FallbackChannel, StepChannel
from organizations.models import ActivityLog
from reminders.decide import decide_due_cross_tenant
from reminders.forms import member_label
from reminders.models import FollowUpStep, Task
from tests.fake_esp import FakePostmark

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def decided(world, make_invoice):
    make_invoice("F-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    return dispatch


def set_fallback(plan, channel: str) -> None:
    plan.fallback_channel = channel
    plan.save()


def test_an_address_the_provider_refuses_falls_back_to_a_task_by_default(decided, settings):
    with FakePostmark(lifetime=60) as esp:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = esp.anymail_settings()
        esp.inactive = {"camille@lumen.example"}
        dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert (dispatch.status, dispatch.fell_back_to) == (DispatchStatus.FAILED, FallbackChannel.TASK)
    assert dispatch.task.title == "E-mail to Lumen Design SRL was refused; check the address"


def test_the_letter_fallback_opens_a_clearly_labelled_letter_task(world, plan, decided, owner_a_client, api_a):
    set_fallback(plan, FallbackChannel.LETTER)
    decided.customer.contacts.update(email_status=EmailStatus.BOUNCED)  # no valid contact left
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert (dispatch.status, dispatch.fell_back_to) == (DispatchStatus.FAILED, FallbackChannel.LETTER)
    assert dispatch.task.title.startswith("Send a letter by post to Lumen Design SRL")
    assert "postal sending is not connected yet" in dispatch.task.title
    assert dispatch.task.assigned_to == world.manager_a
    page = owner_a_client.get(reverse("follow_up:dispatch", args=[world.org_a.slug, dispatch.pk]))
    assert b"Fell back to" in page.content and b"Letter by post" in page.content
    assert api_a.get(f"/api/v1/dispatches/{dispatch.pk}/").json()["fell_back_to"] == "letter"
    entry = ActivityLog.objects.get(code="invoice.dispatch_fell_back")
    assert entry.data == {"dispatch": dispatch.pk, "fallback": "letter"}


def test_no_fallback_records_the_refusal_and_opens_no_task(plan, decided):
    set_fallback(plan, FallbackChannel.NONE)
    decided.customer.contacts.update(email_status=EmailStatus.BOUNCED)
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert (dispatch.status, dispatch.fell_back_to) == (DispatchStatus.FAILED, FallbackChannel.NONE)
    assert not Task.objects.filter(dispatch=dispatch).exists()
    assert dispatch.reason == "No contact that receives messages has a valid e-mail address."


def test_a_sent_email_shows_no_fallback(world, decided, owner_a_client):
    dispatch = deliver_one(dispatch_id=decided.pk, now=NOW)
    assert (dispatch.status, dispatch.fell_back_to) == (DispatchStatus.SENT, "")
    page = owner_a_client.get(reverse("follow_up:dispatch", args=[world.org_a.slug, dispatch.pk]))
    assert b"Fell back to" not in page.content


def task_step_only(plan, assignee=None) -> FollowUpStep:
    plan.steps.all().delete()
    return FollowUpStep.objects.create(organization=plan.organization, plan=plan, position=1, name="Call",
                                       offset_days=0, channel=StepChannel.TASK, assignee=assignee)  # fmt: skip


def test_a_task_step_goes_to_its_chosen_member(world, plan, make_invoice):
    task_step_only(plan, assignee=world.member_a)
    make_invoice("T-1", date(2026, 12, 1))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    deliver_one(dispatch_id=dispatch.pk, now=NOW)
    assert Task.objects.get(dispatch=dispatch).assigned_to == world.member_a


def test_a_task_step_without_a_member_goes_to_the_account_manager(world, plan, make_invoice):
    task_step_only(plan)
    make_invoice("T-2", date(2026, 12, 1))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    deliver_one(dispatch_id=dispatch.pk, now=NOW)
    assert Task.objects.get(dispatch=dispatch).assigned_to == world.manager_a


def test_a_member_who_lost_access_no_longer_gets_the_tasks(world, plan, make_invoice):
    task_step_only(plan, assignee=world.member_a)
    world.member_a.organizations.clear()
    make_invoice("T-3", date(2026, 12, 1))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    deliver_one(dispatch_id=dispatch.pk, now=NOW)
    assert Task.objects.get(dispatch=dispatch).assigned_to == world.manager_a


def plan_post(**step):
    row = {"steps-0-name": "Call", "steps-0-offset_days": "40", "steps-0-channel": "task", "steps-0-purpose": "",
           **{f"steps-0-{name}": value for name, value in step.items()}}  # fmt: skip
    return {"name": "With member", "grouping": "customer", "fallback_channel": "letter", "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0", **row}  # fmt: skip


def test_the_plan_editor_saves_the_fallback_and_the_member(world, owner_a_client):
    url = reverse("follow_up:plan-create", args=[world.org_a.slug])
    page = owner_a_client.get(url)
    assert member_label(world.member_a) in page.content.decode()
    assert member_label(world.owner_b) not in page.content.decode()
    response = owner_a_client.post(url, plan_post(assignee=world.member_a.pk))
    assert response.status_code == 302
    step = FollowUpStep.objects.get(plan__name="With member")
    assert (step.plan.fallback_channel, step.assignee) == ("letter", world.member_a)


def test_the_plan_editor_refuses_a_member_of_another_tenant(world, owner_a_client):
    url = reverse("follow_up:plan-create", args=[world.org_a.slug])
    response = owner_a_client.post(url, plan_post(assignee=world.owner_b.pk))
    assert response.status_code == 400
    assert not FollowUpStep.objects.filter(plan__name="With member").exists()


def test_the_plan_editor_refuses_a_member_without_access_to_the_organization(world, owner_a_client):
    url = reverse("follow_up:plan-create", args=[world.org_a2.slug])
    response = owner_a_client.post(url, plan_post(assignee=world.member_a.pk))  # member_a reaches acme-be only
    assert response.status_code == 400


def api_plan(assignee, fallback="none"):
    return {"name": "API member", "grouping": "invoice", "fallback_channel": fallback,
            "steps": [{"name": "Call", "offset_days": 40, "channel": "task", "assignee": assignee}]}  # fmt: skip


def test_the_api_writes_and_reads_the_fallback_and_the_member(world, api_a):
    response = api_a.post("/api/v1/follow-up-plans/", api_plan(world.member_a.pk), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["fallback_channel"] == "none" and body["steps"][0]["assignee"] == world.member_a.pk
    response = api_a.patch(f"/api/v1/follow-up-plans/{body['id']}/", {"fallback_channel": "letter", "steps": [
        {"id": body["steps"][0]["id"], "name": "Call", "offset_days": 40, "channel": "task", "assignee": None}]},
        format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["fallback_channel"] == "letter" and response.json()["steps"][0]["assignee"] is None


def test_the_api_refuses_a_member_of_another_tenant(world, api_a):
    response = api_a.post("/api/v1/follow-up-plans/", api_plan(world.owner_b.pk), format="json")
    assert response.status_code == 400
    assert "steps" in response.json()["error"]["fields"]


def test_the_api_refuses_an_unknown_fallback(world, api_a):
    response = api_a.post("/api/v1/follow-up-plans/", api_plan(None, fallback="pigeon"), format="json")
    assert response.status_code == 400 and "fallback_channel" in response.json()["error"]["fields"]
