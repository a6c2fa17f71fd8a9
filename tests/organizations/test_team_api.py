"""The team through the API: members (read), invitations (owners and admins), tenant isolation, idempotency."""

from __future__ import annotations

import pytest

from mailroom.models import StoredEmail
from organizations.models import ActivityLog, InvitationStatus, MemberInvitation, Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(world, api_client):
    api_client.force_login(world.owner_a.user)
    api_client.credentials(HTTP_X_ORGANIZATION="acme-be")
    return api_client


def test_members_are_listed_with_role_and_account_manager_status(world, api_a):
    rows = {row["email"]: row for row in api_a.get("/api/v1/members/").json()["results"]}
    assert rows["manager@acme.example"]["is_account_manager"] is True
    assert rows["owner@acme.example"]["role"] == "owner"
    assert rows["member@acme.example"]["organizations"] == ["acme-be"]
    assert "owner@beta.example" not in rows
    managers = api_a.get("/api/v1/members/", {"account_manager": "true"}).json()["results"]
    assert [row["email"] for row in managers] == ["manager@acme.example"]


def test_a_member_who_does_not_reach_the_organization_is_not_listed(world, api_client):
    secret = world.b.secret  # beta's key: a member of acme is no member there
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get(f"/api/v1/members/{world.member_a.pk}/").status_code == 404
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.secret}")
    assert api_client.get(f"/api/v1/members/{world.member_a.pk}/").status_code == 200


def test_owner_creates_resends_and_revokes_an_invitation(world, owner_api):
    response = owner_api.post(
        "/api/v1/invitations/",
        {"email": "New@Acme.example", "role": "admin", "all_organizations": False, "organizations": ["acme-nl"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="invite-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["email"], body["role"], body["organizations"], body["status"]) == (
        "new@acme.example",
        "admin",
        ["acme-nl"],
        "pending",
    )
    replay = owner_api.post(
        "/api/v1/invitations/",
        {"email": "New@Acme.example", "role": "admin", "all_organizations": False, "organizations": ["acme-nl"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="invite-1",
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert MemberInvitation.objects.filter(email="new@acme.example").count() == 1
    assert StoredEmail.objects.filter(to=["new@acme.example"]).count() == 1

    resent = owner_api.post(f"/api/v1/invitations/{body['id']}/resend/")
    assert resent.status_code == 200
    assert StoredEmail.objects.filter(to=["new@acme.example"]).count() == 2
    revoked = owner_api.post(f"/api/v1/invitations/{body['id']}/revoke/")
    assert revoked.json()["status"] == "revoked"
    assert owner_api.post(f"/api/v1/invitations/{body['id']}/revoke/").status_code == 400
    codes = set(ActivityLog.objects.filter(code__startswith="member.").values_list("code", flat=True))
    assert codes >= {"member.invited", "member.invitation_resent", "member.invitation_revoked"}


def test_an_admin_cannot_grant_more_than_they_hold_through_the_api(world, api_client):
    admin = MembershipFactory(tenant=world.tenant_a, role=Role.ADMIN, all_organizations=False)
    admin.organizations.add(world.org_a)
    api_client.force_login(admin.user)
    api_client.credentials(HTTP_X_ORGANIZATION="acme-be")
    owner = api_client.post(
        "/api/v1/invitations/",
        {"email": "x@acme.example", "role": "owner", "all_organizations": False, "organizations": ["acme-be"]},
        format="json",
    )
    assert owner.status_code == 400 and "role" in owner.json()["error"]["fields"]
    wider = api_client.post(
        "/api/v1/invitations/",
        {"email": "x@acme.example", "all_organizations": False, "organizations": ["acme-nl"]},
        format="json",
    )
    assert wider.status_code == 400 and "organizations" in wider.json()["error"]["fields"]
    assert not MemberInvitation.objects.filter(email="x@acme.example").exists()


def test_members_and_api_keys_cannot_send_invitations(world, api_client, api_a):
    assert api_a.get("/api/v1/invitations/").status_code == 200  # a key reads them
    assert api_a.post("/api/v1/invitations/", {"email": "k@acme.example"}, format="json").status_code == 403
    api_client.credentials()
    api_client.force_login(world.member_a.user)
    response = api_client.get("/api/v1/invitations/", HTTP_X_ORGANIZATION="acme-be")
    assert response.status_code == 403
    assert not MemberInvitation.objects.filter(email="k@acme.example").exists()


def test_another_tenants_invitations_are_not_found(world, api_client):
    api_client.force_login(world.owner_b.user)
    api_client.credentials(HTTP_X_ORGANIZATION="beta")
    foreign = world.a.member_invitation.pk
    assert api_client.get(f"/api/v1/invitations/{foreign}/").status_code == 404
    assert api_client.post(f"/api/v1/invitations/{foreign}/revoke/").status_code == 404
    assert api_client.post(f"/api/v1/invitations/{foreign}/resend/").status_code == 404
    world.a.member_invitation.refresh_from_db()
    assert world.a.member_invitation.status == InvitationStatus.PENDING
    listed = {row["id"] for row in api_client.get("/api/v1/invitations/").json()["results"]}
    assert listed == {world.b.member_invitation.pk}
    assert api_client.get("/api/v1/invitations/", {"status": "revoked"}).json()["results"] == []


def test_the_schema_documents_the_team_and_notes(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/members/", "/api/v1/invitations/", "/api/v1/invitations/{id}/revoke/", "/api/v1/notes/"):
        assert path in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/v1/invitations/"]["post"]["parameters"]}
    assert "Idempotency-Key" in parameters
