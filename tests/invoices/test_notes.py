"""Staff notes on customers and invoices, @mentions that notify by e-mail, and the timeline filtered by kind."""

from __future__ import annotations

import pytest
from django.urls import reverse

from invoices.models import Note
from invoices.notes import mentioned_members, note_add
from mailroom.models import StoredEmail
from organizations.models import ActivityLog
from organizations.services import log_action
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def customer_page(world, **query):
    return reverse("customers:detail", args=["acme-be", world.a.customer.pk])


def test_a_note_with_a_mention_is_on_the_timeline_and_mails_the_member(world, owner_a_client):
    url = reverse("notes:customer", args=["acme-be", world.a.customer.pk])
    response = owner_a_client.post(url, {"body": "Called them; @manager please follow up Friday."})
    assert response.status_code == 302 and response["Location"].endswith("?kind=notes#timeline")
    note = Note.objects.latest("pk")
    assert (note.customer, note.invoice, note.author) == (world.a.customer, None, world.owner_a.user)
    assert list(note.mentions.all()) == [world.manager_a]
    mail = StoredEmail.objects.get(to=["manager@acme.example"])
    assert "please follow up Friday" in mail.text_body
    assert f"/o/acme-be/customers/{world.a.customer.pk}/" in mail.text_body
    page = owner_a_client.get(response["Location"]).content.decode()
    assert "Note: Called them; @manager please follow up Friday." in page


def test_a_note_on_an_invoice_shows_on_the_invoice_and_its_customer(world, owner_a_client):
    owner_a_client.post(reverse("notes:invoice", args=["acme-be", world.a.invoice.pk]), {"body": "Disputed line 3"})
    note = Note.objects.latest("pk")
    assert (note.customer, note.invoice) == (world.a.customer, world.a.invoice)
    invoice_page = owner_a_client.get(reverse("invoices:detail", args=["acme-be", world.a.invoice.pk]))
    assert "Note: Disputed line 3" in invoice_page.content.decode()
    assert "Note: Disputed line 3" in owner_a_client.get(customer_page(world)).content.decode()


def test_the_timeline_filters_by_kind(world, owner_a_client):
    customer, invoice = world.a.customer, world.a.invoice
    note_add(organization=world.org_a, customer=customer, body="Only a note", actor=world.owner_a.user)
    log_action(
        organization=world.org_a,
        subject=invoice,
        code="invoice.payment_recorded",
        data={"amount": "10.00", "method": "transfer", "paid_on": "2026-11-02"},
    )
    log_action(organization=world.org_a, subject=invoice, code="invoice.reminder_sent", data={"step": "First"})
    log_action(organization=world.org_a, subject=customer, code="task.done", data={"task": "Call back"})
    base = customer_page(world)

    def timeline(kind):
        html = owner_a_client.get(f"{base}?kind={kind}").content.decode()
        return html.split('id="timeline"', 1)[1]

    assert "Only a note" in timeline("notes") and "Payment of" not in timeline("notes")
    assert "Payment of" in timeline("payments") and "Only a note" not in timeline("payments")
    assert "Reminder sent: First" in timeline("messages") and "Payment of" not in timeline("messages")
    assert "Task done" in timeline("tasks") and "Reminder sent" not in timeline("tasks")
    changes = timeline("changes")
    assert "Customer changed" in changes and "Only a note" not in changes and "Payment of" not in changes
    invoice_page = reverse("invoices:detail", args=["acme-be", invoice.pk])
    history = owner_a_client.get(f"{invoice_page}?kind=payments").content.decode().split('id="timeline"', 1)[1]
    assert "Payment of" in history and "Reminder sent" not in history
    everything = timeline("")
    assert all(text in everything for text in ("Only a note", "Payment of", "Reminder sent", "Task done"))


def test_mentions_name_members_of_the_organization_only(world):
    MembershipFactory(tenant=world.tenant_a, user__email="anna@one.example")
    MembershipFactory(tenant=world.tenant_a, user__email="anna@two.example")
    found = mentioned_members(
        organization=world.org_a,
        body="@anna is ambiguous, @anna@two.example is not, @owner@beta.example is elsewhere, "
        "mail@member.example is no mention, @member and @MEMBER once.",
    )
    assert [member.user.email for member in found] == ["anna@two.example", "member@acme.example"]


def test_a_member_who_does_not_reach_the_organization_is_not_mentioned(world):
    found = mentioned_members(organization=world.org_a2, body="@member have a look")
    assert found == []  # member@acme.example reaches acme-be only


def test_the_author_is_not_mailed_about_their_own_mention(world):
    note_add(organization=world.org_a, customer=world.a.customer, body="note to self @owner", actor=world.owner_a.user)
    assert not StoredEmail.objects.filter(to=["owner@acme.example"]).exists()


def test_an_empty_note_is_refused(world, owner_a_client):
    owner_a_client.post(reverse("notes:customer", args=["acme-be", world.a.customer.pk]), {"body": "  "})
    assert not Note.objects.exclude(body="Called").exists()


def test_notes_of_another_tenants_customer_are_not_found(world, client):
    client.force_login(world.owner_b.user)
    assert client.post(reverse("notes:customer", args=["beta", world.a.customer.pk]), {"body": "x"}).status_code == 404
    assert client.post(reverse("notes:invoice", args=["beta", world.a.invoice.pk]), {"body": "x"}).status_code == 404
    assert not Note.objects.exclude(body="Called").exists()


# API --------------------------------------------------------------------------------------------------------


def test_api_creates_and_lists_notes_on_customers_and_invoices(world, api_a):
    response = api_a.post(
        "/api/v1/notes/",
        {"invoice": world.a.invoice.pk, "body": "From the ERP, @manager"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="note-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["customer"], body["invoice"], body["mentions"]) == (
        world.a.customer.pk,
        world.a.invoice.pk,
        [world.manager_a.pk],
    )
    assert body["author_name"] == "Acme ERP"
    again = api_a.post(
        "/api/v1/notes/",
        {"invoice": world.a.invoice.pk, "body": "From the ERP, @manager"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="note-1",
    )
    assert again["Idempotent-Replayed"] == "true"
    assert Note.objects.filter(body="From the ERP, @manager").count() == 1
    api_a.post("/api/v1/notes/", {"customer": world.a.customer.pk, "body": "On the customer"}, format="json")
    on_customer = api_a.get("/api/v1/notes/", {"customer": world.a.customer.pk}).json()["results"]
    assert [row["body"] for row in on_customer] == ["On the customer", "From the ERP, @manager", "Called"]
    on_invoice = api_a.get("/api/v1/notes/", {"invoice": world.a.invoice.pk}).json()["results"]
    assert [row["body"] for row in on_invoice] == ["From the ERP, @manager", "Called"]
    entry = ActivityLog.objects.filter(code="note.added").first()
    assert entry.actor_label == "Acme ERP"


def test_api_refuses_another_tenants_customer_and_hides_their_notes(world, api_a):
    foreign = api_a.post("/api/v1/notes/", {"customer": world.b.customer.pk, "body": "x"}, format="json")
    assert foreign.status_code == 400 and "customer" in foreign.json()["error"]["fields"]
    note_b = note_add(organization=world.org_b, customer=world.b.customer, body="Beta's", actor=None)
    assert api_a.get(f"/api/v1/notes/{note_b.pk}/").status_code == 404
    assert api_a.get("/api/v1/notes/", {"customer": world.b.customer.pk}).json()["results"] == []


def test_api_refuses_an_invoice_of_another_customer(world, api_a):
    from tests.factories import CustomerFactory

    other = CustomerFactory(organization=world.org_a)
    response = api_a.post(
        "/api/v1/notes/", {"customer": other.pk, "invoice": world.a.invoice.pk, "body": "x"}, format="json"
    )
    assert response.status_code == 400 and "invoice" in response.json()["error"]["fields"]
