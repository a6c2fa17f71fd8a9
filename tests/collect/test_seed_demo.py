from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from customers.models import Contact, Customer, EmailStatus
from invoices.models import Invoice, InvoiceStatus
from organizations.models import Organization
from organizations.services import api_key_create
from tests.isolation import object_of, object_routes, rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())


def test_seed_demo_builds_the_demo_world(seeded):
    assert set(Organization.objects.values_list("slug", flat=True)) == {"demo-be", "demo-nl", "other"}
    demo = Customer.objects.filter(organization__tenant__name="Demo")
    assert 190 <= demo.count() <= 210
    invoices = Invoice.objects.filter(organization__tenant__name="Demo")
    assert 950 <= invoices.count() <= 1050
    statuses = set(invoices.values_list("status", flat=True))
    assert {InvoiceStatus.OPEN, InvoiceStatus.PAID} <= statuses
    assert invoices.filter(status=InvoiceStatus.OPEN, open_amount__lt=F("amount")).exists()  # partly paid
    assert set(demo.values_list("language", flat=True)) == {"nl", "fr", "de", "en"}
    assert demo.exclude(contacts__isnull=False).exists()  # some customers have no e-mail at all
    assert Contact.objects.filter(customer__in=demo, email_status=EmailStatus.INVALID).exists()


def test_seed_demo_is_idempotent(seeded):
    counts = (Customer.objects.count(), Invoice.objects.count(), Contact.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Customer.objects.count(), Invoice.objects.count(), Contact.objects.count()) == counts


def test_demo_owner_logs_in_and_moves_between_organizations(seeded, client):
    assert client.login(username="owner@demo.example", password="demo-password-for-tests")
    for slug in ("demo-be", "demo-nl"):
        response = client.get(reverse("organization-switch"), {"to": slug}, follow=True)
        assert response.context["organization"].slug == slug
    assert client.get(reverse("dashboard", args=["other"])).status_code == 404


def test_an_api_key_of_other_gets_404_for_every_demo_be_object(seeded, api_client):
    _, secret = api_key_create(organization=Organization.objects.get(slug="other"), name="probe")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    demo_be = Organization.objects.get(slug="demo-be")
    checked = 0
    for route in object_routes(api=True):
        if "get" not in route.methods:
            continue
        model = route.model
        for obj in rows_of(model, demo_be)[:25]:
            assert api_client.get(reverse(route.name, kwargs={"pk": obj.pk})).status_code == 404
            checked += 1
    assert checked >= 50
    assert object_of(Customer, demo_be)


def test_demo_be_has_sepa_profiles_and_signed_mandates_with_pdfs(seeded):
    from mandates.models import Mandate, MandateDocument, MandateProfile
    from mandates.sepa import validate_creditor_id, validate_iban

    profiles = {p.scheme: p for p in MandateProfile.objects.filter(organization__slug="demo-be")}
    assert set(profiles) == {"CORE", "B2B"}
    for profile in profiles.values():
        assert validate_creditor_id(profile.creditor_id) and validate_iban(profile.creditor_iban)
    signed = Mandate.objects.filter(organization__slug="demo-be", state="signed")
    assert signed.count() >= 5 and all(validate_iban(mandate.iban) for mandate in signed)
    assert not signed.filter(customer__type="person", scheme="B2B").exists()
    documents = MandateDocument.objects.filter(organization__slug="demo-be")
    assert documents.count() == 5 and all(bytes(d.pdf).startswith(b"%PDF") for d in documents)


def test_demo_organizations_have_bank_accounts_and_their_invoices_references(seeded):
    from invoices import references
    from organizations.models import BankAccount

    for slug, prefix in (("demo-be", "BE"), ("demo-nl", "NL"), ("other", "BE")):
        account = BankAccount.objects.get(organization__slug=slug, currency="EUR")
        assert account.is_default and account.iban.startswith(prefix)
    be = Invoice.objects.filter(organization__slug="demo-be")
    assert not be.filter(payment_reference="").exists()
    assert all(references.is_valid_structured(value) for value in be.values_list("payment_reference", flat=True))
    nl = Invoice.objects.filter(organization__slug="demo-nl").values_list("payment_reference", flat=True)
    assert all(references.is_valid_creditor(value) for value in nl)
