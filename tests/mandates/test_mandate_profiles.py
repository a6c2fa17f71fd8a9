"""Configuration > Mandate profiles: pages and API, SEPA checks next to each field, owners and admins write."""

from __future__ import annotations

from django.urls import reverse

from mandates.models import MandateProfile
from organizations.models import ActivityLog, ApiKeyScope
from organizations.services import api_key_create

VALID = {
    "name": "Direct debit B2B", "scheme": "B2B", "creditor_name": "Acme Belgium NV", "creditor_street": "Kerkstraat 1",
    "creditor_postal_code": "1000", "creditor_city": "Brussel", "creditor_country": "be",
    "creditor_id": "be68 zzz 0123456789", "creditor_iban": "BE71 0961 2345 6769", "creditor_bic": "gkccbebb",
    "reference_prefix": "acme-b2b", "pain_version": "pain.008.001.02", "use_frst": "on", "language": "",
    "remind_every_days": "7", "remind_max_times": "2", "link_valid_days": "30", "pre_notification_days": "14",
    "collect_on_signing": "on",
}  # fmt: skip


def field_errors(response, field):
    return response.context["form"].errors.get(field, [])


def test_owner_creates_a_profile_with_normalised_creditor_details(owner_a_client, world):
    response = owner_a_client.post(reverse("mandate_profiles:create", args=["acme-be"]), VALID)
    assert response.status_code == 302
    profile = MandateProfile.objects.get(organization=world.org_a, name="Direct debit B2B")
    assert (profile.creditor_id, profile.creditor_iban, profile.creditor_bic) == (
        "BE68ZZZ0123456789", "BE71096123456769", "GKCCBEBB")  # fmt: skip
    assert profile.reference_prefix == "ACME-B2B" and profile.creditor_country == "BE"
    assert ActivityLog.objects.filter(subject_id=profile.pk, code="mandate_profile.created").exists()
    listing = owner_a_client.get(reverse("mandate_profiles:list", args=["acme-be"]))
    assert b"Direct debit B2B" in listing.content


def test_sepa_mistakes_are_shown_next_to_their_field(owner_a_client, world):
    bad = {**VALID, "creditor_id": "BE69ZZZ0123456789", "creditor_iban": "BE71096123456768", "creditor_bic": "",
           "reference_prefix": "-X"}  # fmt: skip
    response = owner_a_client.post(reverse("mandate_profiles:create", args=["acme-be"]), bad)
    assert response.status_code == 400
    assert "check digits do not match" in field_errors(response, "creditor_id")[0]
    assert "check digits do not match" in field_errors(response, "creditor_iban")[0]
    assert field_errors(response, "creditor_bic") == ["pain.008.001.02 requires the creditor's BIC."]
    assert "starts and ends with a letter or digit" in field_errors(response, "reference_prefix")[0]
    assert 'class="error" role="alert">The creditor identifier' in response.content.decode()
    assert not MandateProfile.objects.filter(name="Direct debit B2B").exists()


def test_editing_logs_what_changed_and_archiving_hides_nothing(owner_a_client, world):
    profile = world.a.profile
    url = reverse("mandate_profiles:edit", args=["acme-be", profile.pk])
    data = {**VALID, "name": profile.name, "scheme": "CORE", "pain_version": "pain.008.001.08", "creditor_bic": ""}
    assert owner_a_client.post(url, data).status_code == 302
    entry = ActivityLog.objects.get(subject_id=profile.pk, code="mandate_profile.updated")
    assert entry.data["changes"]["creditor_name"] == ["Acme NV", "Acme Belgium NV"]
    archive = reverse("mandate_profiles:archive", args=["acme-be", profile.pk])
    assert owner_a_client.post(archive, {"archived": "1"}).status_code == 302
    profile.refresh_from_db()
    assert profile.archived
    assert b"Archived" in owner_a_client.get(reverse("mandate_profiles:list", args=["acme-be"])).content


def test_members_neither_see_nor_change_profiles(client, world):
    """Profiles are settings: members see none (Configuration is for owners and admins)."""
    client.force_login(world.member_a.user)
    url = reverse("mandate_profiles:edit", args=["acme-be", world.a.profile.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {**VALID, "name": "Hacked"}).status_code == 403
    assert client.get(reverse("mandate_profiles:create", args=["acme-be"])).status_code == 403
    assert client.post(reverse("mandate_profiles:archive", args=["acme-be", world.a.profile.pk])).status_code == 403
    world.a.profile.refresh_from_db()
    assert world.a.profile.name == "Core" and not world.a.profile.archived


def test_the_empty_state_explains_profiles(owner_a_client, world):
    response = owner_a_client.get(reverse("mandate_profiles:list", args=["acme-nl"]))
    assert b"profiles-empty" in response.content


API_VALID = {**VALID, "use_frst": True, "collect_on_signing": True, "remind_every_days": 7}


def test_api_creates_lists_and_updates_profiles(api_a, world):
    response = api_a.post("/api/v1/mandate-profiles/", API_VALID, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["creditor_id"] == "BE68ZZZ0123456789" and body["reference_prefix"] == "ACME-B2B"
    listed = api_a.get("/api/v1/mandate-profiles/").json()["results"]
    assert {row["name"] for row in listed} == {"Core", "Direct debit B2B"}
    patched = api_a.patch(f"/api/v1/mandate-profiles/{body['id']}/", {"archived": True, "name": "Old B2B"},
                          format="json")  # fmt: skip
    assert patched.status_code == 200 and patched.json()["archived"] is True and patched.json()["name"] == "Old B2B"
    codes = set(ActivityLog.objects.filter(subject_id=body["id"], code__startswith="mandate_profile")
                .values_list("code", flat=True))  # fmt: skip
    assert codes == {"mandate_profile.created", "mandate_profile.updated", "mandate_profile.archived"}


def test_api_refuses_invalid_creditor_details_per_field(api_a):
    response = api_a.post("/api/v1/mandate-profiles/", {**API_VALID, "creditor_id": "XX00"}, format="json")
    assert response.status_code == 400
    assert "creditor_id" in response.json()["error"]["fields"]
    response = api_a.patch(f"/api/v1/mandate-profiles/{MandateProfile.objects.first().pk}/",
                           {"pain_version": "pain.008.001.02", "creditor_bic": ""}, format="json")  # fmt: skip
    assert response.status_code == 400 and "creditor_bic" in response.json()["error"]["fields"]


def test_api_writes_need_an_owner_admin_or_read_write_key(api_client, world):
    api_client.force_login(world.member_a.user)
    response = api_client.post("/api/v1/mandate-profiles/", API_VALID, format="json",
                               HTTP_X_ORGANIZATION="acme-be")  # fmt: skip
    assert response.status_code == 403
    assert api_client.get("/api/v1/mandate-profiles/", HTTP_X_ORGANIZATION="acme-be").status_code == 200
    _key, secret = api_key_create(organization=world.org_a, name="Reader", scope=ApiKeyScope.READ)
    api_client.logout()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.post("/api/v1/mandate-profiles/", API_VALID, format="json").status_code == 403
    assert api_client.get(f"/api/v1/mandate-profiles/{world.b.profile.pk}/").status_code == 404
