"""Configuration > Members: who may see settings, invitations (grant limits, expiry, single use), roles, removal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from mailroom.models import StoredEmail
from organizations.models import ActivityLog, InvitationStatus, MemberInvitation, Membership, Role, User
from reminders.models import Task, TaskStatus
from tests.factories import PASSWORD, CustomerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/o/acme-be/configuration/members/"
NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def invite(client, email="new@acme.example", **fields):
    data = {"email": email, "role": "member", "all_organizations": "on", **fields}
    return client.post(MEMBERS, data)


def link_in_mail(email: str) -> str:
    mail = StoredEmail.objects.filter(to=[email]).latest("pk")
    return re.search(r"https?://\S+/invitations/\S+/", mail.text_body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[-1].split("/", 1)[1]


@pytest.fixture
def invitee():
    """A browser of its own: `client` is the owner's in tests that use `owner_a_client`."""
    from django.test import Client

    return Client()


@pytest.fixture
def owner_b_client_factory(world):
    def make():
        from django.test import Client

        client = Client()
        client.force_login(world.owner_b.user)
        return client

    return make


@pytest.fixture
def admin_be(world):
    """An admin who reaches acme-be only."""
    admin = MembershipFactory(
        tenant=world.tenant_a, role=Role.ADMIN, all_organizations=False, user__email="admin@acme.example"
    )
    admin.organizations.add(world.org_a)
    return admin


# Members see no settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        "",
        "organization/",
        "members/",
        "api-keys/",
        "bank-accounts/",
        "outgoing-mail/",
        "templates/",
        "mandate-profiles/",
    ],
)
def test_a_member_sees_no_settings_page(world, client, page):
    client.force_login(world.member_a.user)
    assert client.get(f"/o/acme-be/configuration/{page}").status_code == 403


def test_a_member_has_no_configuration_link_and_owners_do(world, client):
    client.force_login(world.member_a.user)
    assert "/configuration/" not in client.get("/o/acme-be/").content.decode()
    client.force_login(world.owner_a.user)
    assert "/o/acme-be/configuration/" in client.get("/o/acme-be/").content.decode()


# Inviting ---------------------------------------------------------------------------------------------------


def test_owner_invites_by_email_and_the_invitee_sets_a_password_and_lands_in_the_app(world, owner_a_client, invitee):
    response = invite(owner_a_client, role="admin", is_account_manager="on")
    assert response.status_code == 302
    invitation = MemberInvitation.objects.get(email="new@acme.example")
    assert (invitation.role, invitation.is_account_manager, invitation.status) == ("admin", True, "pending")
    assert ActivityLog.objects.filter(code="member.invited", subject_id=invitation.pk).exists()
    link = path_of(link_in_mail("new@acme.example"))

    invitee.logout()
    page = invitee.get(link)
    assert page.status_code == 200 and "Create my account and join" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    response = invitee.post(
        link, {"first_name": "Nora", "last_name": "New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert invitee.get(response["Location"], follow=True).request["PATH_INFO"] == "/o/acme-be/"
    membership = Membership.objects.get(user__email="new@acme.example")
    assert (membership.role, membership.is_account_manager, membership.tenant) == ("admin", True, world.tenant_a)
    assert User.objects.get(email="new@acme.example").check_password(NEW_PASSWORD)
    assert ActivityLog.objects.filter(code="member.joined").exists()


def test_an_invitation_link_works_once(world, owner_a_client, invitee):
    invite(owner_a_client)
    link = path_of(link_in_mail("new@acme.example"))
    invitee.post(link, {"first_name": "Nora", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    invitee.logout()
    again = invitee.post(link, {"first_name": "Eve", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert again.status_code == 400
    assert "not valid any more" in again.content.decode()
    assert Membership.objects.filter(user__email="new@acme.example").count() == 1


def test_an_invitation_expires(world, owner_a_client, invitee):
    invite(owner_a_client)
    link = path_of(link_in_mail("new@acme.example"))
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = invitee.post(link, {"first_name": "Late", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 400
        assert invitee.get(link).status_code == 400
    assert not User.objects.filter(email="new@acme.example").exists()


def test_a_forged_or_tampered_link_is_refused(world, client):
    assert client.get("/invitations/not-a-token/").status_code == 400


def test_revoked_invitations_stop_working(world, owner_a_client, invitee):
    invite(owner_a_client)
    link = path_of(link_in_mail("new@acme.example"))
    invitation = MemberInvitation.objects.get(email="new@acme.example")
    owner_a_client.post(reverse("configuration:invitation-revoke", args=["acme-be", invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert invitee.get(link).status_code == 400
    assert ActivityLog.objects.filter(code="member.invitation_revoked").exists()


def test_resending_replaces_the_link(world, owner_a_client, invitee):
    invite(owner_a_client)
    first = path_of(link_in_mail("new@acme.example"))
    invitation = MemberInvitation.objects.get(email="new@acme.example")
    owner_a_client.post(reverse("configuration:invitation-resend", args=["acme-be", invitation.pk]))
    second = path_of(link_in_mail("new@acme.example"))
    assert first != second
    assert invitee.get(first).status_code == 400
    assert invitee.get(second).status_code == 200
    assert StoredEmail.objects.filter(to=["new@acme.example"]).count() == 2


def test_an_admin_cannot_invite_an_owner(world, admin_be, client):
    client.force_login(admin_be.user)
    response = invite(client, role="owner", all_organizations="", organizations=[world.org_a.pk])
    assert response.status_code == 400
    assert not MemberInvitation.objects.filter(email="new@acme.example").exists()


def test_an_admin_cannot_invite_to_organizations_they_do_not_reach(world, admin_be, client):
    client.force_login(admin_be.user)
    assert invite(client, all_organizations="", organizations=[world.org_a2.pk]).status_code == 400
    assert invite(client, all_organizations="on").status_code == 400  # "all" is more than acme-be alone
    assert not MemberInvitation.objects.filter(email="new@acme.example").exists()
    assert invite(client, all_organizations="", organizations=[world.org_a.pk]).status_code == 302
    invitation = MemberInvitation.objects.get(email="new@acme.example")
    assert list(invitation.organizations.all()) == [world.org_a] and not invitation.all_organizations


def test_the_invitee_with_an_account_logs_in_and_joins(world, owner_b_client_factory):
    owner_b_client = owner_b_client_factory()
    owner_b_client.post(
        "/o/beta/configuration/members/", {"email": "owner@acme.example", "role": "member", "all_organizations": "on"}
    )
    link = path_of(link_in_mail("owner@acme.example"))
    invitee = owner_b_client_factory()
    invitee.logout()
    page = invitee.get(link)
    assert "Log in" in page.content.decode() and "/accounts/login/?next=" in page.content.decode()
    login = invitee.post(f"/accounts/login/?next={link}", {"username": "owner@acme.example", "password": PASSWORD})
    assert login["Location"] == link
    assert invitee.post(link).status_code == 302
    assert Membership.objects.filter(user__email="owner@acme.example", tenant=world.tenant_b).exists()


def test_someone_else_logged_in_cannot_take_the_invitation(world, owner_a_client, invitee):
    invite(owner_a_client)
    link = path_of(link_in_mail("new@acme.example"))
    invitee.force_login(world.outsider)
    assert "This invitation is for new@acme.example" in invitee.get(link).content.decode()
    invitee.post(link)
    assert not Membership.objects.filter(user=world.outsider).exists()
    assert MemberInvitation.objects.get(email="new@acme.example").status == InvitationStatus.PENDING


def test_a_member_or_an_invitation_cannot_be_invited_twice(world, owner_a_client):
    assert invite(owner_a_client, email="member@acme.example").status_code == 400
    invite(owner_a_client)
    assert invite(owner_a_client).status_code == 400
    assert MemberInvitation.objects.filter(email="new@acme.example").count() == 1


# Roles and access --------------------------------------------------------------------------------------------


def test_owner_changes_role_account_manager_status_and_organizations(world, owner_a_client):
    url = reverse("configuration:member-edit", args=["acme-be", world.member_a.pk])
    data = {"role": "admin", "is_account_manager": "on", "organizations": [world.org_a.pk, world.org_a2.pk]}
    assert owner_a_client.post(url, data).status_code == 302
    world.member_a.refresh_from_db()
    assert (world.member_a.role, world.member_a.is_account_manager) == ("admin", True)
    assert set(world.member_a.organizations.all()) == {world.org_a, world.org_a2}
    entry = ActivityLog.objects.get(code="member.updated")
    assert entry.data["changes"]["role"] == ["member", "admin"]
    assert "Role: Member → Admin" in entry.details()


def test_an_admin_cannot_make_an_owner_nor_change_one(world, admin_be, client):
    client.force_login(admin_be.user)
    url = reverse("configuration:member-edit", args=["acme-be", world.member_a.pk])
    assert client.post(url, {"role": "owner", "organizations": [world.org_a.pk]}).status_code == 400
    owner_url = reverse("configuration:member-edit", args=["acme-be", world.owner_a.pk])
    assert client.post(owner_url, {"role": "member", "organizations": [world.org_a.pk]}).status_code == 403
    world.member_a.refresh_from_db()
    world.owner_a.refresh_from_db()
    assert (world.member_a.role, world.owner_a.role) == ("member", "owner")


def test_the_last_owner_stays_owner(world, owner_a_client):
    url = reverse("configuration:member-edit", args=["acme-be", world.owner_a.pk])
    assert owner_a_client.post(url, {"role": "admin", "all_organizations": "on"}).status_code == 400
    world.owner_a.refresh_from_db()
    assert world.owner_a.role == "owner"


# Removing ---------------------------------------------------------------------------------------------------


def test_removing_a_member_hands_their_customers_and_open_tasks_over_in_one_step(world, owner_a_client):
    other_manager = MembershipFactory(tenant=world.tenant_a, is_account_manager=True, user__email="am2@acme.example")
    theirs = CustomerFactory(organization=world.org_a, account_manager=world.manager_a)
    in_nl = CustomerFactory(organization=world.org_a2, account_manager=world.manager_a)
    open_task = Task.objects.create(
        organization=world.org_a, customer=theirs, title="Call", assigned_to=world.manager_a
    )
    done_task = Task.objects.create(
        organization=world.org_a, customer=theirs, title="Old", assigned_to=world.manager_a, status=TaskStatus.DONE
    )
    url = reverse("configuration:member-remove", args=["acme-be", world.manager_a.pk])
    dialog = owner_a_client.get(url).content.decode()
    assert "Their customers go to" in dialog and "Their open tasks go to" in dialog
    # The customer choice offers account managers only; the task choice any member.
    assert dialog.count(f'<option value="{other_manager.pk}"') == 2
    assert dialog.count(f'<option value="{world.member_a.pk}"') == 1
    response = owner_a_client.post(url, {"customers": other_manager.pk, "tasks": world.member_a.pk})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=world.manager_a.pk).exists()
    assert set(Customer.objects.filter(account_manager=other_manager)) == {theirs, in_nl}
    open_task.refresh_from_db()
    done_task.refresh_from_db()
    assert open_task.assigned_to == world.member_a and done_task.assigned_to is None
    entry = ActivityLog.objects.get(code="member.removed")
    assert (entry.data["customers"], entry.data["tasks"]) == (2, 1)
    assert ActivityLog.objects.filter(code="task.reassigned", related_customer_id=theirs.pk).exists()


def test_customers_can_only_go_to_an_account_manager(world, owner_a_client):
    CustomerFactory(organization=world.org_a, account_manager=world.manager_a)
    url = reverse("configuration:member-remove", args=["acme-be", world.manager_a.pk])
    assert owner_a_client.post(url, {"customers": world.member_a.pk}).status_code == 400
    assert Membership.objects.filter(pk=world.manager_a.pk).exists()


def test_nobody_removes_themselves_or_the_last_owner(world, owner_a_client, admin_be, invitee):
    url = reverse("configuration:member-remove", args=["acme-be", world.owner_a.pk])
    assert owner_a_client.post(url, {}).status_code == 403
    invitee.force_login(admin_be.user)
    assert invitee.post(url, {}).status_code == 403
    assert Membership.objects.filter(pk=world.owner_a.pk).exists()


def test_another_tenants_members_and_invitations_are_not_found(world, owner_b_client_factory):
    client = owner_b_client_factory()
    for name in ("member-edit", "member-remove"):
        url = reverse(f"configuration:{name}", args=["beta", world.member_a.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"role": "member", "all_organizations": "on"}).status_code == 404
    for name in ("invitation-resend", "invitation-revoke"):
        assert (
            client.post(reverse(f"configuration:{name}", args=["beta", world.a.member_invitation.pk])).status_code
            == 404
        )
    world.a.member_invitation.refresh_from_db()
    assert world.a.member_invitation.status == InvitationStatus.PENDING
    assert Membership.objects.filter(pk=world.member_a.pk).exists()


# Account-manager pickers ------------------------------------------------------------------------------------


def test_account_manager_pickers_offer_account_managers_only(world, owner_a_client):
    form = owner_a_client.get(reverse("customers:update", args=["acme-be", world.a.customer.pk])).content.decode()
    assert f'<option value="{world.manager_a.pk}"' in form
    assert f'<option value="{world.member_a.pk}"' not in form
    listing = owner_a_client.get("/o/acme-be/customers/").content.decode()
    assert f'value="{world.manager_a.pk}"' in listing and str(world.manager_a.user) in listing
    assert str(world.member_a.user) not in listing
    bulk = owner_a_client.post(
        reverse("customers:bulk", args=["acme-be"]), {"action": "assign_account_manager", "ids": [world.a.customer.pk]}
    )
    choices = [str(m.user) for m in bulk.context["form"].fields["account_manager"].queryset]
    assert choices == [str(world.manager_a.user)]
    refused = owner_a_client.post(
        reverse("customers:bulk", args=["acme-be"]),
        {
            "action": "assign_account_manager",
            "ids": [world.a.customer.pk],
            "confirm": "1",
            "account_manager": world.member_a.pk,
        },
    )
    assert refused.status_code == 400


def test_the_customer_api_accepts_account_managers_only(world, api_a):
    url = f"/api/v1/customers/{world.a.customer.pk}/"
    assert api_a.patch(url, {"account_manager": world.member_a.pk}, format="json").status_code == 400
    assert api_a.patch(url, {"account_manager": world.manager_a.pk}, format="json").status_code == 200


def test_opening_links_is_rate_limited_per_address(world, invitee):
    for _attempt in range(30):
        assert invitee.get("/invitations/guess/").status_code == 400
    response = invitee.get("/invitations/guess/")
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()


def test_an_admin_of_chosen_organizations_cannot_change_someone_who_reaches_more(world, admin_be, client):
    client.force_login(admin_be.user)
    url = reverse("configuration:member-edit", args=["acme-be", world.manager_a.pk])  # reaches every organization
    assert client.post(url, {"role": "member", "organizations": [world.org_a.pk]}).status_code == 403
    world.manager_a.refresh_from_db()
    assert world.manager_a.all_organizations
    mine = reverse("configuration:member-edit", args=["acme-be", world.member_a.pk])  # acme-be only, like the admin
    assert (
        client.post(mine, {"role": "member", "is_account_manager": "on", "organizations": [world.org_a.pk]}).status_code
        == 302
    )
    world.member_a.refresh_from_db()
    assert world.member_a.is_account_manager
