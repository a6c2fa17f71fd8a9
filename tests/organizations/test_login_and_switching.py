from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mailroom.models import StoredEmail
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login(world, client):
    response = client.get(reverse("customers:list", args=[world.org_a.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.smoke
def test_login_opens_the_dashboard_of_an_organization(world, client):
    response = client.post(reverse("login"), {"username": "owner@acme.example", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.context["organization"].tenant == world.tenant_a


def test_wrong_password_is_explained(world, client):
    response = client.post(reverse("login"), {"username": "owner@acme.example", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match" in response.content


def test_switcher_lists_only_reachable_organizations(world, client):
    client.force_login(world.member_a.user)
    response = client.get(reverse("dashboard", args=[world.org_a.slug]))
    assert [o.slug for o in response.context["switchable_organizations"]] == [world.org_a.slug]
    client.force_login(world.owner_a.user)
    response = client.get(reverse("dashboard", args=[world.org_a.slug]))
    assert {o.slug for o in response.context["switchable_organizations"]} == {"acme-be", "acme-nl"}


def test_switching_organization_and_home_remembers_it(world, owner_a_client):
    response = owner_a_client.get(reverse("organization-switch"), {"to": "acme-nl"})
    assert response["Location"] == reverse("dashboard", args=["acme-nl"])
    owner_a_client.get(response["Location"])
    assert owner_a_client.get(reverse("home"))["Location"] == reverse("dashboard", args=["acme-nl"])


def test_switching_to_another_tenants_organization_is_not_found(world, owner_a_client):
    assert owner_a_client.get(reverse("organization-switch"), {"to": "beta"}).status_code == 404


def test_user_without_membership_is_told_what_to_do(world, client):
    client.force_login(world.outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert b"not part of an organization" in response.content


def test_password_reset_mail_is_kept_and_its_link_sets_a_new_password(world, client):
    client.post(reverse("password_reset"), {"email": "owner@acme.example"})
    mail = StoredEmail.objects.get(to=["owner@acme.example"])
    assert mail.organization is None
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.text_body).group(1)
    form_page = client.get(link, follow=True)
    new = "a-brand-new-passphrase-42"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert client.login(username="owner@acme.example", password=new)


@pytest.mark.parametrize("language,word", [("nl", "Klanten"), ("fr", "Clients"), ("de", "Kunden")])
def test_pages_speak_the_chosen_language(world, owner_a_client, language, word):
    owner_a_client.post(reverse("set_language"), {"language": language, "next": "/"})
    response = owner_a_client.get(reverse("customers:list", args=[world.org_a.slug]))
    assert word.encode() in response.content
