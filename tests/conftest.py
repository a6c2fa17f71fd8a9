"""The two-tenant world every test can use, and the browser set-up for the e2e journeys.

Tenant A ("Acme") has organizations acme-be and acme-nl, an owner, a member with access to acme-be
only, and an account manager. Tenant B ("Beta") has organization beta and its owner. An outsider has
no membership. A and B share business keys on purpose (customer reference C-1, invoice 2026-001).
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from campaigns.models import Campaign, Invitation
from customers.models import BulkJob
from customers.stats import customers_refresh_stats
from invoices.batches import import_batch_create
from invoices.ledger import ledger_rebuild
from invoices.models import Note
from mailroom.models import StoredEmail
from mandates.models import (
    CollectionBatch,
    CollectionItem,
    Mandate,
    MandateDocument,
    MandateProfile,
    ReferenceCounter,
)
from messaging.models import Dispatch, DispatchInvoice
from organizations.models import ApiKeyScope, BankAccount, MemberInvitation, Role
from organizations.services import api_key_create, log_action
from reminders.follow_up_messages import FOLLOW_UP
from reminders.models import FollowUpPlan, Task
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InvoiceFactory,
    MembershipFactory,
    OrganizationFactory,
    PaymentFactory,
    TenantFactory,
    UserFactory,
)

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_tenant_objects(organization, *, prefix: str):
    customer = CustomerFactory(organization=organization, external_ref="C-1", name=f"{prefix} Customer")
    contact = ContactFactory(customer=customer, email=f"billing@{prefix.lower()}.example")
    invoice = InvoiceFactory(customer=customer, number="2026-001", amount=Decimal("100.00"))
    invoice.pdf.save("invoice.pdf", ContentFile(PDF_BYTES))
    payment = PaymentFactory(invoice=invoice, amount=Decimal("10.00"))
    invoice.open_amount = Decimal("90.00")
    invoice.save()
    api_key, secret = api_key_create(organization=organization, name=f"{prefix} ERP", scope=ApiKeyScope.READ_WRITE)
    activity = log_action(organization=organization, subject=customer, code="customer.updated")
    email = StoredEmail.objects.create(
        organization=organization,
        from_email="x@example.com",
        to=[contact.email],
        subject=f"{prefix} reminder",
        text_body="Please pay",
        message_id=f"<{prefix}@test>",
    )
    plan = FollowUpPlan.objects.create(organization=organization, name="Standard", is_default=True)
    profile = MandateProfile.objects.create(
        organization=organization, name="Core", scheme="CORE", creditor_name=f"{prefix} NV",
        creditor_street="Kerkstraat 1", creditor_postal_code="1000", creditor_city="Brussel", creditor_country="BE",
        creditor_id="BE68ZZZ0123456789", creditor_iban="BE71096123456769", creditor_bic="GKCCBEBB",
        reference_prefix=prefix.upper(),
    )  # fmt: skip
    # The same reference in both tenants on purpose: uniqueness is per organization.
    mandate = Mandate.objects.create(
        organization=organization, customer=customer, profile=profile, state="signed", reference="MNDT-000001",
        debtor_name=customer.name, iban="BE68539007547034", signed_at=timezone.now(), signature_method="typed_name",
        signer_name=customer.name, language="en",
    )  # fmt: skip
    ReferenceCounter.objects.create(organization=organization, next_value=2)
    document = MandateDocument.objects.create(
        organization=organization, mandate=mandate, language="en", pdf=PDF_BYTES, sha256="0" * 64
    )
    campaign = Campaign.objects.create(organization=organization, name="Spring mandates", profile=profile)
    invitation = Invitation.objects.create(
        organization=organization, campaign=campaign, customer=customer, mandate=mandate
    )
    batch = CollectionBatch.objects.create(
        organization=organization, profile=profile, collection_date=timezone.localdate(),
        pain_version=profile.pain_version,
        xml=b"<Document/>", total_amount=Decimal("90.00"), item_count=1,
    )  # fmt: skip
    debit = CollectionItem.objects.create(
        organization=organization, batch=batch, invoice=invoice, mandate=mandate, customer=customer,
        amount=Decimal("90.00"), end_to_end_id="E2E-1", sequence_type="FRST",
    )  # fmt: skip
    job = BulkJob.objects.create(organization=organization, action="assign_account_manager", selected_ids=[customer.pk])
    import_batch = import_batch_create(
        organization=organization, kind="customers", content=b"external_ref;name\nC-9;Nine\n", filename="c.csv"
    )
    dispatch = Dispatch.objects.create(
        organization=organization, kind=FOLLOW_UP, customer=customer, invoice=invoice, manual=True, channel="email",
        status="sent", scheduled_for=timezone.now(), subject=f"{prefix} reminder", text_body="Please pay",
    )  # fmt: skip
    DispatchInvoice.objects.create(organization=organization, dispatch=dispatch, invoice=invoice, open_amount=90)
    task = Task.objects.create(organization=organization, customer=customer, invoice=invoice, title="Call")
    # Where the organization's debtors pay (a payment block and QR code in euro messages).
    bank_account = BankAccount.objects.create(
        organization=organization, currency="EUR", iban="BE71096123456769", bic="GKCCBEBB", is_default=True
    )
    note = Note.objects.create(organization=organization, customer=customer, invoice=invoice, body="Called")
    # A pending invitation to join the tenant (Configuration > Members).
    member_invitation = MemberInvitation.objects.create(
        tenant=organization.tenant,
        organization=organization,
        email=f"invited@{prefix.lower()}.example",
        token_hash=f"{prefix}-token-hash",
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )
    customers_refresh_stats(customer_ids=[customer.pk])
    ledger_rebuild(organization=organization)  # the factories above bypass the services that keep it
    customer.refresh_from_db()
    return SimpleNamespace(
        plan=plan,
        profile=profile,
        mandate=mandate,
        document=document,
        campaign=campaign,
        invitation=invitation,
        batch=batch,
        debit=debit,
        job=job,
        dispatch=dispatch,
        task=task,
        import_batch=import_batch,
        customer=customer,
        contact=contact,
        invoice=invoice,
        payment=payment,
        api_key=api_key,
        secret=secret,
        activity=activity,
        email=email,
        bank_account=bank_account,
        member_invitation=member_invitation,
        note=note,
    )


@pytest.fixture(autouse=True)
def english_to_start_with():
    """Requests activate their language on the thread; start every test from the default again."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: ids restart with each test database, keys made of them do not."""
    cache.clear()


@pytest.fixture(autouse=True)
def mail_kept_in_the_database(settings):
    """Django's test set-up swaps in the locmem backend; keep the embedded default users see instead."""
    settings.EMAIL_BACKEND = "mailroom.backends.DatabaseEmailBackend"


@pytest.fixture
def world(db):
    tenant_a = TenantFactory(name="Acme")
    org_a = OrganizationFactory(tenant=tenant_a, slug="acme-be", name="Acme Belgium")
    org_a2 = OrganizationFactory(tenant=tenant_a, slug="acme-nl", name="Acme Nederland", country="NL")
    owner_a = MembershipFactory(tenant=tenant_a, role=Role.OWNER, user__email="owner@acme.example")
    member_a = MembershipFactory(
        tenant=tenant_a, role=Role.MEMBER, user__email="member@acme.example", all_organizations=False
    )
    member_a.organizations.add(org_a)
    manager_a = MembershipFactory(
        tenant=tenant_a, role=Role.MEMBER, is_account_manager=True, user__email="manager@acme.example"
    )
    tenant_b = TenantFactory(name="Beta")
    org_b = OrganizationFactory(tenant=tenant_b, slug="beta", name="Beta Corp")
    owner_b = MembershipFactory(tenant=tenant_b, role=Role.OWNER, user__email="owner@beta.example")
    outsider = UserFactory(email="outsider@example.com")
    return SimpleNamespace(
        tenant_a=tenant_a,
        org_a=org_a,
        org_a2=org_a2,
        owner_a=owner_a,
        member_a=member_a,
        manager_a=manager_a,
        tenant_b=tenant_b,
        org_b=org_b,
        owner_b=owner_b,
        outsider=outsider,
        a=build_tenant_objects(org_a, prefix="Acme"),
        b=build_tenant_objects(org_b, prefix="Beta"),
    )


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def api_a(world, api_client):
    """An API client authenticated with organization A's read-write key."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.a.secret}")
    return api_client


@pytest.fixture
def owner_a_client(world, client):
    client.force_login(world.owner_a.user)
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser on these machines."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
