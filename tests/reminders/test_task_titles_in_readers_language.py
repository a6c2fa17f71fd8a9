"""Tasks opened by the workers are stored without a language and read in each reader's own language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from customers.models import EmailStatus
from messaging.delivery import deliver_one
from organizations.models import ActivityLog
from reminders.decide import decide_due_cross_tenant
from reminders.models import Task
from reminders.todos import task_set_done

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def task(world, make_invoice):
    world.org_a.default_language = "nl"  # the staff's language when the task was opened
    world.org_a.save()
    invoice = make_invoice("F-1", date(2026, 12, 7))
    invoice.customer.contacts.update(email_status=EmailStatus.BOUNCED)  # no valid contact: a task to fix it
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    return deliver_one(dispatch_id=dispatch.pk, now=NOW).task


def actions_page(client, organization, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get(reverse("actions", args=[organization.slug])).content.decode()


def test_the_task_is_stored_as_a_code_with_its_parameters(task):
    assert task.title_code == "find_valid_email"
    assert task.title_params == {"customer": "Lumen Design SRL"}
    assert task.title == "Zoek een geldig e-mailadres voor Lumen Design SRL"  # the organization's language


def test_each_reader_sees_the_task_in_their_language(task, world, owner_a_client):
    assert "Find a valid e-mail address for Lumen Design SRL" in actions_page(owner_a_client, world.org_a, "en")
    assert "Zoek een geldig e-mailadres voor Lumen Design SRL" in actions_page(owner_a_client, world.org_a, "nl")
    assert "Trouver une adresse e-mail valide pour Lumen Design SRL" in actions_page(owner_a_client, world.org_a, "fr")


def test_the_api_names_the_task_in_the_requests_language(task, api_a):
    english = api_a.get(f"/api/v1/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    german = api_a.get(f"/api/v1/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE="de").json()
    assert english["title"] == "Find a valid e-mail address for Lumen Design SRL"
    assert german["title"] == "Gültige E-Mail-Adresse für Lumen Design SRL ermitteln"


def test_the_timeline_names_a_done_task_in_the_readers_language(task, world, owner_a_client):
    task_set_done(task=task, done=True, actor=world.owner_a.user)
    entry = ActivityLog.objects.get(code="task.done")
    owner_a_client.cookies["django_language"] = "en"
    page = owner_a_client.get(reverse("customers:detail", args=[world.org_a.slug, task.customer_id])).content.decode()
    assert "Task done: Find a valid e-mail address for Lumen Design SRL" in page
    assert entry.data["task_code"] == "find_valid_email"


def test_a_task_from_before_the_codes_keeps_its_text(task, world, owner_a_client):
    Task.objects.filter(pk=task.pk).update(title="Bel de klant", title_code="", title_params={})
    assert "Bel de klant" in actions_page(owner_a_client, world.org_a, "en")


def test_titles_stored_as_text_before_the_codes_are_recognized(task, world, owner_a_client):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("reminders.migrations.0011_task_titles_from_text")
    Task.objects.filter(pk=task.pk).update(
        title="Zoek een geldig e-mailadres voor Lumen Design SRL", title_code="", title_params={}
    )
    other = Task.objects.create(organization=world.org_a, customer=task.customer, title="Bel de klant terug")
    someone_else = Task.objects.create(
        organization=world.org_a, customer=task.customer, title="Find a valid e-mail address for Another Customer"
    )
    migration.recognize(apps, None)
    task.refresh_from_db()
    other.refresh_from_db()
    someone_else.refresh_from_db()
    assert (task.title_code, task.title_params) == ("find_valid_email", {"customer": "Lumen Design SRL"})
    assert other.title_code == "" and someone_else.title_code == ""  # unsure: the text stays as it is
    assert "Find a valid e-mail address for Lumen Design SRL" in actions_page(owner_a_client, world.org_a, "en")
