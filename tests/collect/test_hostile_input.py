"""Odd input gets a clear answer, never a server error, and never tells another tenant's ids apart."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reminders.models import FollowUpStep

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999999", "-1", "0"])
def test_non_ascii_or_absurd_ids_are_just_unknown(world, owner_a_client, api_a, value):
    slug = world.org_a.slug
    assert owner_a_client.get(reverse("customers:list", args=[slug]), {"account_manager": value}).status_code == 200
    assert api_a.get("/api/v1/customers/", {"account_manager": value}).json()["results"] == []
    remind = owner_a_client.get(reverse("follow_up:remind", args=[slug]), {"invoices": value})
    assert remind.status_code == 302  # back to the list with "Select at least one open invoice"
    bulk = owner_a_client.post(
        reverse("customers:bulk", args=[slug]), {"action": "assign_account_manager", "ids": value}
    )
    assert bulk.status_code == 302


@pytest.mark.parametrize("value", ["1e20", "-1e20", "99999999"])
def test_absurd_overdue_ranges_find_nothing(world, owner_a_client, api_a, value):
    assert api_a.get("/api/v1/invoices/", {"overdue_min": value}).json()["results"] == []
    page = owner_a_client.get(reverse("invoices:list", args=[world.org_a.slug]), {"overdue_max": value})
    assert page.status_code == 200


def test_a_step_id_of_another_organization_is_as_unknown_as_a_missing_one(world, owner_a_client):
    foreign = FollowUpStep.objects.create(organization=world.org_b, plan=world.b.plan, position=1, name="B's",
                                          offset_days=5, channel="task")  # fmt: skip
    url = reverse("follow_up:plan", args=[world.org_a.slug, world.a.plan.pk])

    def post(step_id):
        return owner_a_client.post(url, {
            "name": "Standard", "grouping": "customer", "is_default": "on", "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0", "steps-0-id": str(step_id), "steps-0-name": "X", "steps-0-offset_days": "9",
            "steps-0-channel": "task", "steps-0-purpose": "",
        })  # fmt: skip

    assert post(foreign.pk).status_code == post(10**9).status_code
    foreign.refresh_from_db()
    assert (foreign.name, foreign.plan) == ("B's", world.b.plan)


def test_members_cannot_change_plans_through_the_api(world, api_client):
    api_client.force_login(world.member_a.user)
    response = api_client.post("/api/v1/follow-up-plans/", {"name": "Sneaky", "grouping": "customer",
                                                             "is_default": True, "steps": []},
                               format="json", HTTP_X_ORGANIZATION=world.org_a.slug)  # fmt: skip
    assert response.status_code == 403
    assert api_client.get("/api/v1/follow-up-plans/", HTTP_X_ORGANIZATION=world.org_a.slug).status_code == 200
