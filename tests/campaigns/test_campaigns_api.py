"""/api/v1/campaigns/: create, rename, close, invite by ids or filters, list invitations, remind; isolation."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.messages import MANDATE_REMINDER
from campaigns.models import Campaign, Invitation
from campaigns.services import invitations_create
from customers.jobs import bulk_job_run
from customers.models import BulkJob
from mandates.links import signing_url
from mandates.models import Mandate, MandateState
from messaging.models import Dispatch
from organizations.models import ActivityLog
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.django_db


def test_create_rename_and_close(world, api_a):
    created = api_a.post("/api/v1/campaigns/", {"name": "API campaign", "profile": world.a.profile.pk})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["invited"], body["percent_signed"]) == ("open", 0, 0)
    campaign = Campaign.objects.get(pk=body["id"], organization=world.org_a)
    assert ActivityLog.objects.filter(code="campaign.created", subject_id=campaign.pk, actor_api_key=world.a.api_key)
    renamed = api_a.patch(f"/api/v1/campaigns/{campaign.pk}/", {"name": "Renamed"})
    assert renamed.json()["name"] == "Renamed"
    duplicate = api_a.post("/api/v1/campaigns/", {"name": "renamed", "profile": world.a.profile.pk})
    assert duplicate.status_code == 400
    closed = api_a.post(f"/api/v1/campaigns/{campaign.pk}/close/")
    assert closed.json()["status"] == "closed"


def test_a_foreign_profile_cannot_be_used(world, api_a):
    response = api_a.post("/api/v1/campaigns/", {"name": "X", "profile": world.b.profile.pk})
    assert response.status_code == 400


def test_invite_by_ids_runs_the_job(world, api_a, make_customer, campaign):
    customers = [make_customer(), make_customer()]
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/invite/", {"customer_ids": [c.pk for c in customers]})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["total"] == 2 and f"/customers/jobs/{body['job']}/" in body["progress_url"]
    bulk_job_run(job_id=body["job"])
    assert Invitation.objects.filter(campaign=campaign).count() == 2


def test_invite_by_the_customer_filters(world, api_a, make_customer, campaign):
    with_email = [make_customer(language="de"), make_customer(language="de")]
    make_customer(language="de", email=False)
    make_customer(language="fr")
    make_customer(organization=world.org_b, language="de")
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/invite/",
                          {"filters": {"language": "de", "valid_email": "true"}}, format="json")  # fmt: skip
    assert response.status_code == 202, response.json()
    assert response.json()["total"] == 2
    bulk_job_run(job_id=response.json()["job"])
    invited = set(Invitation.objects.filter(campaign=campaign).values_list("customer_id", flat=True))
    assert invited == {c.pk for c in with_email}
    assert BulkJob.objects.get(pk=response.json()["job"]).selected_filter == "language=de&valid_email=true"


def test_invite_needs_ids_or_filters_and_valid_filters(world, api_a, campaign):
    url = f"/api/v1/campaigns/{campaign.pk}/invite/"
    assert api_a.post(url, {}, format="json").status_code == 400
    both = api_a.post(url, {"customer_ids": [1], "filters": {"language": "de"}}, format="json")
    assert both.status_code == 400
    bad = api_a.post(url, {"filters": {"valid_email": "perhaps"}}, format="json")
    assert bad.status_code == 400 and "valid_email" in str(bad.json())


def test_invitations_list_their_stage_and_link(world, api_a, make_customer, campaign):
    waiting, signed = make_customer(), make_customer()
    invitations_create(campaign=campaign, customer_ids=[waiting.pk, signed.pk])
    Mandate.objects.filter(customer=signed).update(state=MandateState.SIGNED, signed_at=timezone.now())
    response = api_a.get(f"/api/v1/campaigns/{campaign.pk}/invitations/")
    rows = {row["customer"]: row for row in response.json()["results"]}
    assert rows[waiting.pk]["stage"] == "invited" and rows[waiting.pk]["state"] == "invited"
    assert rows[waiting.pk]["signing_url"] == signing_url(Mandate.objects.get(customer=waiting))
    assert rows[signed.pk]["stage"] == "signed" and rows[signed.pk]["signing_url"] is None
    for row in rows.values():
        assert_matches_schema(row, "Invitation")
    only = api_a.get(f"/api/v1/campaigns/{campaign.pk}/invitations/", {"stage": "signed"}).json()["results"]
    assert [row["customer"] for row in only] == [signed.pk]
    listed = api_a.get(f"/api/v1/campaigns/{campaign.pk}/").json()
    assert (listed["invited"], listed["signed"], listed["percent_signed"]) == (2, 1, 50)


def test_remind_queues_for_the_unsigned(world, api_a, make_customer, campaign):
    customers = [make_customer(), make_customer()]
    invitations_create(campaign=campaign, customer_ids=[c.pk for c in customers])
    first = Invitation.objects.get(customer=customers[0])
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/remind/", {"invitation_ids": [first.pk]}, format="json")
    assert response.json() == {"queued": 1}
    assert api_a.post(f"/api/v1/campaigns/{campaign.pk}/remind/").json() == {"queued": 2}
    assert Dispatch.objects.filter(kind=MANDATE_REMINDER).count() == 3


def test_another_organizations_campaign_is_a_404(world, api_a, make_customer):
    foreign = world.b.campaign.pk
    assert api_a.get(f"/api/v1/campaigns/{foreign}/").status_code == 404
    assert api_a.get(f"/api/v1/campaigns/{foreign}/invitations/").status_code == 404
    assert api_a.post(f"/api/v1/campaigns/{foreign}/close/").status_code == 404
    assert api_a.post(f"/api/v1/campaigns/{foreign}/remind/").status_code == 404
    invite = api_a.post(f"/api/v1/campaigns/{foreign}/invite/", {"customer_ids": [make_customer().pk]})
    assert invite.status_code == 404
    assert {c["id"] for c in api_a.get("/api/v1/campaigns/").json()["results"]} == {world.a.campaign.pk}


def test_customer_ids_of_another_organization_are_not_invited(world, api_a, campaign):
    response = api_a.post(f"/api/v1/campaigns/{campaign.pk}/invite/", {"customer_ids": [world.b.customer.pk]})
    assert response.json()["total"] == 0
    bulk_job_run(job_id=response.json()["job"])
    assert not Invitation.objects.filter(campaign=campaign).exists()


def test_the_schema_describes_the_campaign_endpoints(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/v1/campaigns/", "/api/v1/campaigns/{id}/", "/api/v1/campaigns/{id}/invite/",
                 "/api/v1/campaigns/{id}/invitations/", "/api/v1/campaigns/{id}/remind/",
                 "/api/v1/campaigns/{id}/close/"):  # fmt: skip
        assert path in schema["paths"], path
    invite = schema["paths"]["/api/v1/campaigns/{id}/invite/"]["post"]
    assert "202" in invite["responses"]
    assert invite["requestBody"]["content"]["application/json"]["examples"]
    stages = {p["name"] for p in schema["paths"]["/api/v1/campaigns/{id}/invitations/"]["get"]["parameters"]}
    assert "stage" in stages
