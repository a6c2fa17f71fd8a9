"""Browser journey: an owner invites a member, who accepts through the e-mailed link, sets a password, lands in
the app without settings, and adds a note that mentions a colleague."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mailroom.models import StoredEmail
from organizations.models import Membership
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def log_in(page, live_server, email, password=PASSWORD):
    page.goto(f"{live_server.url}/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_owner_invites_a_member_who_accepts_and_mentions_a_colleague_in_a_note(world, live_server, browser):
    owner = browser.new_page()
    log_in(owner, live_server, "owner@acme.example")
    owner.get_by_role("link", name="Configuration").click()
    owner.get_by_role("link", name="Members").click()
    invite = owner.get_by_test_id("invite-form")
    invite.get_by_label("E-mail address").fill("nora@acme.example")
    invite.get_by_label("Role").select_option("member")
    invite.get_by_label("Account manager").check()
    invite.get_by_role("button", name="Send invitation").click()
    expect(owner.get_by_text("Invitation sent to nora@acme.example")).to_be_visible()
    expect(owner.get_by_test_id("invitation-nora@acme.example")).to_be_visible()

    mail = StoredEmail.objects.get(to=["nora@acme.example"])
    path = re.search(r"/invitations/\S+/", mail.text_body).group(0)
    invitee = browser.new_context().new_page()
    invitee.goto(f"{live_server.url}{path}")
    invitee.get_by_label("First name").fill("Nora")
    invitee.get_by_label("Last name").fill("Peeters")
    invitee.locator("#id_password1").fill(NEW_PASSWORD)
    invitee.get_by_label("Password again").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create my account and join").click()

    expect(invitee.get_by_text("Welcome to Acme.")).to_be_visible()
    expect(invitee).to_have_url(re.compile(r"/o/acme-be/$"))
    membership = Membership.objects.get(user__email="nora@acme.example")
    assert (membership.role, membership.is_account_manager) == ("member", True)
    # A member sees no settings: no Configuration in the navigation, and the pages refuse.
    expect(invitee.get_by_role("navigation", name="Main").get_by_role("link", name="Configuration")).to_have_count(0)
    assert invitee.goto(f"{live_server.url}/o/acme-be/configuration/members/").status == 403
    # The link worked once.
    assert invitee.goto(f"{live_server.url}{path}").status == 400

    invitee.goto(f"{live_server.url}/o/acme-be/customers/{world.a.customer.pk}/")
    invitee.get_by_label("Add a note").fill("Promised to pay on Friday; @manager please check the statement.")
    invitee.get_by_role("button", name="Add note").click()
    expect(invitee.get_by_text("1 member was told by e-mail.", exact=False)).to_be_visible()
    timeline = invitee.locator("#timeline")
    expect(
        timeline.get_by_text("Note: Promised to pay on Friday; @manager please check the statement.")
    ).to_be_visible()
    expect(timeline.get_by_role("link", name="Notes")).to_have_attribute("aria-current", "true")
    mention = StoredEmail.objects.get(to=["manager@acme.example"])
    assert "Nora Peeters mentioned you" in mention.subject

    # The owner sees the member in the team, and the join in the team's recent changes.
    owner.reload()
    expect(owner.get_by_test_id("member-nora@acme.example")).to_contain_text("Member")
    expect(owner.get_by_text("nora@acme.example joined as Member")).to_be_visible()
