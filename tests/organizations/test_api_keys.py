from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from organizations.models import ActivityLog, ApiKey, ApiKeyScope
from organizations.services import api_key_create

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_the_secret_as_last_line_and_it_works(world, api_client, capsys):
    call_command("create_api_key", "--organization", world.org_a.slug, "--name", "Nightly sync")
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api_client.get("/api/v1/organization/")
    assert response.status_code == 200
    assert response.json()["slug"] == world.org_a.slug


def test_create_api_key_for_unknown_organization_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organization"):
        call_command("create_api_key", "--organization", "nope", "--name", "x")


def test_only_a_hash_of_the_secret_is_stored(world):
    api_key, secret = api_key_create(organization=world.org_a, name="Check")
    stored = ApiKey.objects.filter(pk=api_key.pk).values_list("prefix", "hashed_secret")[0]
    assert secret not in " ".join(stored)
    assert secret.startswith(f"ck_{api_key.prefix}_")


def test_revoked_key_is_refused(world, api_client):
    from organizations.services import api_key_revoke

    api_key_revoke(api_key=world.a.api_key)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.secret}")
    response = api_client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_wrong_or_malformed_keys_are_refused(world, api_client):
    for header in ("Bearer ck_deadbeef_nope", "Bearer", f"Bearer {world.a.secret}x"):
        api_client.credentials(HTTP_AUTHORIZATION=header)
        assert api_client.get("/api/v1/customers/").status_code == 401, header


def test_no_credentials_is_401_with_bearer_challenge(api_client, db):
    response = api_client.get("/api/v1/customers/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_read_only_key_reads_but_cannot_write(world, api_client):
    _, secret = api_key_create(organization=world.org_a, name="Reader", scope=ApiKeyScope.READ)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get("/api/v1/customers/").status_code == 200
    response = api_client.post("/api/v1/customers/", {"name": "New"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]["message"]


def test_last_used_time_is_recorded(world, api_a):
    assert ApiKey.objects.get(pk=world.a.api_key.pk).last_used_at is None
    api_a.get("/api/v1/customers/")
    assert ApiKey.objects.get(pk=world.a.api_key.pk).last_used_at is not None


def test_admin_creates_a_key_in_the_ui_and_sees_it_once(world, owner_a_client):
    url = reverse("configuration:api-keys", args=[world.org_a.slug])
    response = owner_a_client.post(url, {"name": "ERP export", "scope": ApiKeyScope.READ_WRITE})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.encode() in response.content
    assert secret.encode() not in owner_a_client.get(url).content
    assert ActivityLog.objects.filter(code="api_key.created", actor_user=world.owner_a.user).exists()


def test_empty_key_name_is_explained(world, owner_a_client):
    response = owner_a_client.post(reverse("configuration:api-keys", args=[world.org_a.slug]), {"name": ""})
    assert response.status_code == 400
    assert b"This field is required" in response.content


def test_revoking_in_the_ui_stops_the_key(world, owner_a_client, api_client):
    url = reverse("configuration:api-key-revoke", args=[world.org_a.slug, world.a.api_key.pk])
    assert owner_a_client.get(url).status_code == 405
    owner_a_client.post(url)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.secret}")
    assert api_client.get("/api/v1/customers/").status_code == 401
    assert ActivityLog.objects.filter(code="api_key.revoked").exists()


def test_plain_members_cannot_manage_keys(world, client):
    client.force_login(world.member_a.user)
    assert client.get(reverse("configuration:api-keys", args=[world.org_a.slug])).status_code == 403
    url = reverse("configuration:api-key-revoke", args=[world.org_a.slug, world.a.api_key.pk])
    assert client.post(url).status_code == 403
    assert ApiKey.objects.get(pk=world.a.api_key.pk).is_active
