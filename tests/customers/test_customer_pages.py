from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Contact, Customer
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db


def test_create_customer_and_see_it_on_its_timeline(world, owner_a_client):
    response = owner_a_client.post(
        reverse("customers:create", args=[world.org_a.slug]),
        {
            "name": "Lumen Design SRL",
            "external_ref": "C-77",
            "type": "company",
            "language": "fr",
            "country": "be",
            "communication_preference": "default",
        },
        follow=True,
    )
    customer = Customer.objects.get(organization=world.org_a, external_ref="C-77")
    assert response.redirect_chain[-1][0] == reverse("customers:detail", args=[world.org_a.slug, customer.pk])
    assert b"Customer created" in response.content
    assert customer.country == "BE"


def test_duplicate_reference_is_shown_next_to_the_field(world, owner_a_client):
    response = owner_a_client.post(
        reverse("customers:create", args=[world.org_a.slug]),
        {
            "name": "Dup",
            "external_ref": "C-1",
            "type": "company",
            "language": "nl",
            "communication_preference": "default",
        },
    )
    assert response.status_code == 400
    assert b"Another customer already has this external reference." in response.content


def test_account_manager_choices_stay_in_the_tenant(world, owner_a_client):
    response = owner_a_client.get(reverse("customers:update", args=[world.org_a.slug, world.a.customer.pk]))
    choices = list(response.context["form"].fields["account_manager"].queryset)
    assert world.manager_a in choices and world.owner_b not in choices


def test_edit_contacts_notify_toggle_and_remove(world, owner_a_client):
    slug, contact = world.org_a.slug, world.a.contact
    owner_a_client.post(
        reverse("customers:contact-update", args=[slug, contact.pk]),
        {"name": contact.name, "email": contact.email, "phone": ""},
    )
    contact.refresh_from_db()
    assert contact.notify is False  # an unticked checkbox turns notifications off
    owner_a_client.post(reverse("customers:contact-delete", args=[slug, contact.pk]))
    assert not Contact.objects.filter(pk=contact.pk).exists()
    codes = list(ActivityLog.objects.filter(subject_id=world.a.customer.pk).values_list("code", flat=True))
    assert "contact.updated" in codes and "contact.deleted" in codes


def test_customer_list_search_and_empty_state(world, owner_a_client):
    url = reverse("customers:list", args=[world.org_a.slug])
    assert b"Acme Customer" in owner_a_client.get(url, {"search": "acme"}).content
    response = owner_a_client.get(url, {"search": "zzz-nothing"})
    assert b"No customer matches these filters." in response.content


def test_customer_timeline_holds_its_invoices_history(world, owner_a_client):
    from datetime import date
    from decimal import Decimal

    from invoices.services import invoice_create, payment_record

    invoice = invoice_create(
        organization=world.org_a, customer=world.a.customer, number="T-1",
        issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1), amount=Decimal("80.00"),
    )  # fmt: skip
    payment_record(invoice=invoice, amount=Decimal("20.00"), paid_on=date(2026, 11, 20), actor=world.owner_a.user)
    response = owner_a_client.get(reverse("customers:detail", args=[world.org_a.slug, world.a.customer.pk]))
    codes = [entry.code for entry in response.context["activity"]]
    assert codes[:2] == ["invoice.payment_recorded", "invoice.created"]
    assert "Payment of €20.00 recorded" in response.content.decode() and b"T-1" in response.content


def test_follow_up_plan_choices_stay_in_the_organization(world, owner_a_client):
    response = owner_a_client.get(reverse("customers:update", args=[world.org_a.slug, world.a.customer.pk]))
    assert list(response.context["form"].fields["follow_up_plan"].queryset) == [world.a.plan]
