from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from mailroom.models import StoredEmail
from messaging.delivery import deliver_one
from messaging.models import Dispatch
from reminders.engine import settings_for
from reminders.models import FollowUpPlan, TaskStatus

pytestmark = pytest.mark.django_db


def step_rows(*rows):
    data = {"steps-TOTAL_FORMS": str(len(rows)), "steps-INITIAL_FORMS": "0"}
    for index, (name, offset, channel, purpose) in enumerate(rows):
        data.update({f"steps-{index}-name": name, f"steps-{index}-offset_days": str(offset),
                     f"steps-{index}-channel": channel, f"steps-{index}-purpose": purpose,
                     f"steps-{index}-attach_pdfs": "on"})  # fmt: skip
    return data


def test_create_a_plan_with_steps_numbered_by_their_days(world, owner_a_client):
    data = {"name": "Strict", "grouping": "invoice", **step_rows(("Final", 30, "email", "final_notice"),
                                                                 ("Early", -2, "email", "pre_due"),
                                                                 ("Call", 40, "task", ""))}  # fmt: skip
    response = owner_a_client.post(reverse("follow_up:plan-create", args=[world.org_a.slug]), data)
    plan = FollowUpPlan.objects.get(organization=world.org_a, name="Strict")
    assert response.status_code == 302
    assert [(s.position, s.name) for s in plan.steps.order_by("position")] == [(1, "Early"), (2, "Final"), (3, "Call")]


def test_an_email_step_needs_a_message_and_days_must_differ(world, owner_a_client):
    url = reverse("follow_up:plan-create", args=[world.org_a.slug])
    response = owner_a_client.post(url, {"name": "Bad", "grouping": "customer", **step_rows(("A", 5, "email", ""))})
    assert response.status_code == 400 and b"Choose the message this e-mail step sends." in response.content
    response = owner_a_client.post(url, {"name": "Bad", "grouping": "customer",
                                         **step_rows(("A", 5, "task", ""), ("B", 5, "task", ""))})  # fmt: skip
    assert response.status_code == 400 and b"Two steps cannot fall on the same day." in response.content
    assert not FollowUpPlan.objects.filter(name="Bad").exists()


def test_making_a_plan_the_default_moves_the_flag(world, owner_a_client):
    owner_a_client.post(reverse("follow_up:plan-create", args=[world.org_a.slug]),
                        {"name": "New default", "grouping": "customer", "is_default": "on", **step_rows()})  # fmt: skip
    assert list(
        FollowUpPlan.objects.filter(organization=world.org_a, is_default=True).values_list("name", flat=True)
    ) == ["New default"]


def test_the_switch_off_is_confirmed_and_logged(world, owner_a_client):
    url = reverse("follow_up:settings", args=[world.org_a.slug])
    response = owner_a_client.post(url, {"weekdays": ["0", "1", "2", "3", "4"], "send_start": "09:00",
                                         "send_end": "17:00", "lateness_days": "3"})  # fmt: skip
    assert response.status_code == 302
    assert settings_for(world.org_a).sending_enabled is False
    overview = owner_a_client.get(reverse("follow-up", args=[world.org_a.slug]))
    assert b"Off: nothing goes out automatically" in overview.content


def test_a_window_that_ends_before_it_starts_is_refused(world, owner_a_client):
    response = owner_a_client.post(
        reverse("follow_up:settings", args=[world.org_a.slug]),
        {"sending_enabled": "on", "weekdays": ["0"], "send_start": "17:00", "send_end": "09:00", "lateness_days": "3"},
    )
    assert response.status_code == 400 and b"The window must end after it starts." in response.content


def test_members_cannot_change_plans_or_settings(world, client):
    client.force_login(world.member_a.user)
    assert client.get(reverse("follow_up:settings", args=[world.org_a.slug])).status_code == 403
    assert client.post(reverse("follow_up:plan-create", args=[world.org_a.slug]), {"name": "x"}).status_code == 403


def test_send_a_reminder_now_with_edited_text(world, debtor, make_invoice, owner_a_client):
    first, second = make_invoice("N-1", date(2026, 11, 1)), make_invoice("N-2", date(2026, 11, 5))
    url = reverse("follow_up:remind", args=[world.org_a.slug])
    page = owner_a_client.get(url, {"invoices": [first.pk, second.pk]})
    assert page.context["form"].initial["subject"]  # the template text, ready to edit
    edited = {"purpose": "reminder_1", "subject": "About {invoice_count} invoices", "body": "Total {amount_due}"}
    response = owner_a_client.post(url, {"invoices": [first.pk, second.pk], **edited})
    dispatch = Dispatch.objects.get(manual=True, customer=debtor)
    assert response["Location"] == reverse("follow_up:dispatch", args=[world.org_a.slug, dispatch.pk])
    deliver_one(dispatch_id=dispatch.pk)
    mail = StoredEmail.objects.get(subject="About 2 invoices")
    assert mail.to == ["camille@lumen.example"] and mail.text_body.strip() == "Total 1\u202f000,00\xa0€"
    detail = owner_a_client.get(reverse("follow_up:dispatch", args=[world.org_a.slug, dispatch.pk]))
    assert b"About 2 invoices" in detail.content and b"camille@lumen.example" in detail.content


def test_invoices_of_different_customers_are_refused_with_a_clear_message(world, make_invoice, owner_a_client):
    mine = make_invoice("N-3", date(2026, 11, 1))
    url = reverse("follow_up:remind", args=[world.org_a.slug])
    response = owner_a_client.post(url, {"invoices": [mine.pk, world.a.invoice.pk], "purpose": "reminder_1",
                                         "subject": "x", "body": "y"})  # fmt: skip
    assert response.status_code == 400
    assert b"Invoices of different customers cannot share one message" in response.content


def test_invoice_page_shows_the_next_step_or_why_not(world, make_invoice, owner_a_client):
    invoice = make_invoice("E-1", date(2026, 12, 7))
    page = owner_a_client.get(reverse("invoices:detail", args=[world.org_a.slug, invoice.pk]))
    assert page.context["follow_up"].step.name == "Friendly reminder"
    owner_a_client.post(reverse("invoices:follow-up", args=[world.org_a.slug, invoice.pk]), {"paused": "1"})
    page = owner_a_client.get(reverse("invoices:detail", args=[world.org_a.slug, invoice.pk]))
    assert "paused" in page.context["follow_up"].reason


def test_customer_pause_from_the_customer_page(world, debtor, owner_a_client):
    url = reverse("follow_up:customer-pause", args=[world.org_a.slug, debtor.pk])
    owner_a_client.post(url, {"until": "2026-12-31", "reason": "Payment plan agreed"})
    debtor.refresh_from_db()
    assert (str(debtor.follow_up_paused_until), debtor.follow_up_paused_reason) == ("2026-12-31", "Payment plan agreed")
    owner_a_client.post(url, {"resume": "1"})
    debtor.refresh_from_db()
    assert debtor.follow_up_paused_until is None


def test_actions_list_and_mark_done(world, owner_a_client):
    url = reverse("actions", args=[world.org_a.slug])
    assert world.a.task in owner_a_client.get(url).context["tasks"]
    owner_a_client.post(reverse("follow_up:task-toggle", args=[world.org_a.slug, world.a.task.pk]),
                        {"done": "1", "next": "https://evil.example/"})  # fmt: skip
    world.a.task.refresh_from_db()
    assert world.a.task.status == TaskStatus.DONE
    assert world.a.task not in owner_a_client.get(url).context["tasks"]
    assert world.a.task in owner_a_client.get(url, {"status": "done"}).context["tasks"]


def test_upcoming_lists_the_next_seven_days(world, make_invoice, owner_a_client):
    from django.utils import timezone

    soon = make_invoice("U-1", timezone.localdate() + timezone.timedelta(days=5))
    rows = owner_a_client.get(reverse("follow_up:upcoming", args=[world.org_a.slug])).context["rows"]
    assert soon in [row["invoice"] for row in rows]


def test_bulk_reminder_sends_one_message_per_customer_and_reports_the_rest(world, debtor, make_invoice):
    from customers.jobs import bulk_job_create, bulk_job_run
    from customers.services import customer_create

    make_invoice("BR-1", date(2026, 11, 1))
    make_invoice("BR-2", date(2026, 11, 3))
    unreachable = customer_create(organization=world.org_a, name="No Mail BV")
    make_invoice("BR-3", date(2026, 11, 3), customer=unreachable)
    job = bulk_job_create(
        organization=world.org_a, action="send_reminder", params={"purpose": "reminder_1"},
        ids=[debtor.pk, unreachable.pk], filter_query="", select_all=False, actor=world.owner_a.user,
    )  # fmt: skip
    bulk_job_run(job_id=job.pk)
    from customers.models import BulkJob

    BulkJob.objects.filter(pk=job.pk).update(status="queued", last_customer_id=0)  # run it again, as after a crash
    bulk_job_run(job_id=job.pk)
    (dispatch,) = Dispatch.objects.filter(manual=True, purpose="reminder_1")
    assert dispatch.customer == debtor and dispatch.items.count() == 2
    job.refresh_from_db()
    assert [problem["name"] for problem in job.problems] == ["No Mail BV", "No Mail BV"]
    assert job.problems[0]["message"] == "No contact with a valid e-mail address."


def test_replies_to_a_manual_reminder_go_to_the_person_who_sent_it(world, debtor, make_invoice):
    from reminders.manual import reminder_send_now

    invoice = make_invoice("RT-1", date(2026, 11, 1))
    dispatch = reminder_send_now(organization=world.org_a, invoice_ids=[invoice.pk], actor=world.owner_a.user)
    deliver_one(dispatch_id=dispatch.pk)
    assert StoredEmail.objects.get(message_id__contains=f"dispatch-{dispatch.pk}.").reply_to == ["owner@acme.example"]
