"""Bank accounts of the organization: checked IBAN/BIC, one default per currency, pages, API, activity."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from organizations.bank_accounts import bank_account_for, bank_account_save
from organizations.models import ActivityLog, ApiKeyScope, BankAccount
from organizations.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_accounts(world):
    """Organization A starts without its euro account."""
    world.a.bank_account.delete()


def url(world, name="configuration:bank-accounts", **kwargs):
    return reverse(name, kwargs={"organization_slug": world.org_a.slug, **kwargs})


def test_owner_adds_an_account_and_its_bic_is_found_from_the_iban(world, owner_a_client, no_accounts):
    response = owner_a_client.post(url(world), {"currency": "eur", "iban": "be71 0961 2345 6769", "bic": ""})
    assert response.status_code == 302
    account = BankAccount.objects.get(organization=world.org_a, currency="EUR")
    assert (account.iban, account.bic, account.is_default) == ("BE71096123456769", "GKCCBEBB", True)
    assert ActivityLog.objects.filter(organization=world.org_a, code="bank_account.created").exists()
    assert "BE71 0961 2345 6769" in owner_a_client.get(url(world)).content.decode()


@pytest.mark.parametrize(
    ("iban", "bic", "field", "message"),
    [
        ("BE71096123456768", "", "iban", "check digits do not match"),
        ("BE7109612345676", "", "iban", "has 16 characters; this one has 15"),
        ("XX71096123456769", "", "iban", "is not a country that uses IBANs"),
        ("hello", "", "iban", "This is not an IBAN"),
        ("BE71096123456769", "GKCC", "bic", "This is not a BIC"),
        ("BE71096123456769", "GKCCQQBB", "bic", "is not a country code"),
    ],
)
def test_a_wrong_iban_or_bic_is_explained_next_to_its_field(
    world, owner_a_client, no_accounts, iban, bic, field, message
):
    response = owner_a_client.post(url(world), {"currency": "EUR", "iban": iban, "bic": bic})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not BankAccount.objects.filter(organization=world.org_a, currency="EUR").exists()


def test_one_default_per_currency(world, no_accounts):
    first = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "BE71096123456769"})
    second = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "NL91ABNA0417164300"})
    assert first.is_default and not second.is_default
    bank_account_save(organization=world.org_a, account=second, data={"is_default": True})
    first.refresh_from_db()
    assert not first.is_default
    assert bank_account_for(organization=world.org_a, currency="EUR") == second


def test_removing_asks_first_and_the_next_account_becomes_default(world, owner_a_client, no_accounts):
    first = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "BE71096123456769"})
    second = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "NL91ABNA0417164300"})
    page = owner_a_client.get(url(world, "configuration:bank-account-delete", pk=first.pk))
    assert "Remove the account BE71 0961 2345 6769" in page.content.decode()
    assert BankAccount.objects.filter(pk=first.pk).exists()  # asking removes nothing
    owner_a_client.post(url(world, "configuration:bank-account-delete", pk=first.pk))
    assert not BankAccount.objects.filter(pk=first.pk).exists()
    second.refresh_from_db()
    assert second.is_default
    assert ActivityLog.objects.filter(code="bank_account.deleted", data__iban="BE71096123456769").exists()


def test_members_cannot_open_the_bank_account_pages(world, client):
    client.force_login(world.member_a.user)
    assert client.get(url(world)).status_code == 403
    assert client.post(url(world), {"currency": "EUR", "iban": "BE71096123456769"}).status_code == 403


def test_api_lists_only_its_own_accounts_and_refuses_another_tenants(world, api_a):
    listed = api_a.get("/api/v1/bank-accounts/").json()["results"]
    assert [row["id"] for row in listed] == [world.a.bank_account.pk]
    assert api_a.get(f"/api/v1/bank-accounts/{world.b.bank_account.pk}/").status_code == 404
    assert api_a.delete(f"/api/v1/bank-accounts/{world.b.bank_account.pk}/").status_code == 404
    assert BankAccount.objects.filter(pk=world.b.bank_account.pk).exists()


def test_api_creates_with_field_errors_and_needs_write_access(world, api_a, no_accounts):
    refused = api_a.post("/api/v1/bank-accounts/", {"currency": "EUR", "iban": "BE71096123456768"})
    assert refused.status_code == 400
    assert "check digits" in refused.json()["error"]["fields"]["iban"][0]
    created = api_a.post("/api/v1/bank-accounts/", {"currency": "EUR", "iban": "BE71 0961 2345 6769"})
    assert created.status_code == 201
    assert created.json()["iban"] == "BE71096123456769" and created.json()["is_default"]
    _key, secret = api_key_create(organization=world.org_a, name="read", scope=ApiKeyScope.READ)
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert reader.post("/api/v1/bank-accounts/", {"currency": "GBP", "iban": "BE71096123456769"}).status_code == 403
    assert reader.delete(f"/api/v1/bank-accounts/{created.json()['id']}/").status_code == 403
    assert api_a.delete(f"/api/v1/bank-accounts/{created.json()['id']}/").status_code == 204


def test_moving_the_default_to_another_currency_leaves_a_default_behind(world, no_accounts):
    first = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "BE71096123456769"})
    second = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "NL91ABNA0417164300"})
    bank_account_save(organization=world.org_a, account=first, data={"currency": "CHF"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_default and first.currency == "CHF"
    assert second.is_default
    assert ActivityLog.objects.filter(code="bank_account.updated", subject_id=first.pk).exists()


def test_the_edit_page_changes_the_holder_and_explains_a_bad_bic(world, owner_a_client):
    account = world.a.bank_account
    edit = url(world, "configuration:bank-account-edit", pk=account.pk)
    assert 'value="BE71 0961 2345 6769"' in owner_a_client.get(edit).content.decode()
    data = {"currency": "EUR", "iban": "BE71 0961 2345 6769", "bic": "GKCCBEBB", "holder_name": "Acme NV"}
    refused = owner_a_client.post(edit, {**data, "bic": "GKCC1"})
    assert refused.status_code == 400 and "This is not a BIC" in refused.context["form"].errors["bic"][0]
    assert owner_a_client.post(edit, data).status_code == 302
    account.refresh_from_db()
    assert account.beneficiary == "Acme NV" and account.is_default


def test_changing_only_the_currency_to_one_that_lists_the_same_iban_is_explained(world, api_a, no_accounts):
    bank_account_save(organization=world.org_a, data={"currency": "USD", "iban": "BE71096123456769"})
    euro = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "BE71096123456769"})
    response = api_a.patch(f"/api/v1/bank-accounts/{euro.pk}/", {"currency": "USD"}, format="json")
    assert response.status_code == 400
    assert "already listed for USD" in str(response.json())


def test_moving_a_default_into_a_currency_with_its_own_default_does_not_take_it_over(world, no_accounts):
    dollars = bank_account_save(organization=world.org_a, data={"currency": "USD", "iban": "NL91ABNA0417164300"})
    euro = bank_account_save(organization=world.org_a, data={"currency": "EUR", "iban": "BE71096123456769"})
    bank_account_save(organization=world.org_a, account=euro, data={"currency": "USD"})
    dollars.refresh_from_db()
    euro.refresh_from_db()
    assert dollars.is_default and not euro.is_default


def test_a_member_may_read_but_not_change_bank_accounts_through_the_api(world, client):
    client.force_login(world.member_a.user)
    headers = {"HTTP_X_ORGANIZATION": world.org_a.slug}
    assert client.get("/api/v1/bank-accounts/", **headers).status_code == 200
    refused = client.post("/api/v1/bank-accounts/", {"currency": "USD", "iban": "NL91ABNA0417164300"}, **headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only owners and admins can change bank accounts."
    assert not BankAccount.objects.filter(organization=world.org_a, currency="USD").exists()
