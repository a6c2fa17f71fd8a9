"""Query budgets: every list and detail page reads what it shows in a bounded number of queries.

Each test grows organization A by a few rows, counts, grows it tenfold and asserts the same budget still holds,
so a query per listed row (an N+1) cannot come back unnoticed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Invitation
from customers.models import BulkJob
from invoices.models import Note
from mailroom.models import StoredEmail
from mandates.models import CollectionItem, Mandate
from messaging.models import Dispatch, DispatchInvoice, DispatchStatus
from organizations.models import MemberInvitation
from organizations.services import log_action
from reminders.follow_up_messages import FOLLOW_UP
from reminders.models import FollowUpStep, Task
from tests.factories import ContactFactory, CustomerFactory, InvoiceFactory, MembershipFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def grow(world, count: int) -> None:
    """`count` more customers in organization A, each with what the pages list: a contact, two invoices (one due
    for follow-up within the week), a payment, a sent reminder that reached a step, a task, a mandate, an
    invitation, a debit, a stored e-mail and an activity entry."""
    organization, a = world.org_a, world.a
    step = _step(a.plan)
    now = timezone.now()
    for index in range(count):
        customer = CustomerFactory(organization=organization, account_manager=world.manager_a)
        contact = ContactFactory(customer=customer)
        invoice = InvoiceFactory(customer=customer, next_follow_up_at=now + timedelta(days=1, minutes=index))
        InvoiceFactory(customer=customer, next_follow_up_at=now + timedelta(days=2))
        PaymentFactory(invoice=invoice, amount=Decimal("1.00"))
        dispatch = Dispatch.objects.create(
            kind=FOLLOW_UP,
            organization=organization,
            customer=customer,
            invoice=invoice,
            step=step,
            channel="email",
            status=DispatchStatus.SENT,
            scheduled_for=now,
            subject="Reminder",
            recipients=[contact.email],
        )
        DispatchInvoice.objects.create(organization=organization, dispatch=dispatch, invoice=invoice, open_amount=1)
        Task.objects.create(
            organization=organization,
            customer=customer,
            invoice=invoice,
            dispatch=dispatch,
            title="Call",
            assigned_to=world.manager_a,
        )
        # Every other customer signed a mandate (its invoices wait for direct debit); the others are invited.
        mandate = Mandate.objects.create(
            organization=organization,
            customer=customer,
            profile=a.profile,
            state="invited" if index % 2 else "signed",
            reference=f"MNDT-{customer.pk:06d}",
            debtor_name=customer.name,
            iban="BE68539007547034",
            signed_at=now,
            signature_method="typed_name",
            signer_name=customer.name,
            language="en",
        )
        Invitation.objects.create(organization=organization, campaign=a.campaign, customer=customer, mandate=mandate)
        if index % 2 == 0:
            CollectionItem.objects.create(
                organization=organization,
                batch=a.batch,
                invoice=invoice,
                mandate=mandate,
                customer=customer,
                amount=Decimal("1.00"),
                end_to_end_id=f"E2E-{customer.pk}",
                sequence_type="FRST",
            )
        StoredEmail.objects.create(
            organization=organization,
            from_email="x@example.com",
            to=[contact.email],
            subject="Reminder",
            text_body="Please pay",
            message_id=f"<{customer.pk}@test>",
        )
        log_action(organization=organization, subject=customer, code="customer.updated")
        log_action(organization=organization, subject=invoice, code="invoice.created")
    BulkJob.objects.create(organization=organization, action="assign_account_manager", selected_ids=[])


def _step(plan):
    step, _ = FollowUpStep.objects.get_or_create(
        organization=plan.organization,
        plan=plan,
        position=1,
        defaults={"name": "Friendly reminder", "offset_days": 1, "purpose": "reminder_1"},
    )
    FollowUpStep.objects.get_or_create(
        organization=plan.organization, plan=plan, position=2, defaults={"name": "Second", "offset_days": 14}
    )
    return step


def grow_customer(world, count: int) -> None:
    """`count` more of everything the customer page lists, all for A's customer C-1."""
    a, now = world.a, timezone.now()
    step = _step(a.plan)
    for index in range(count):
        ContactFactory(customer=a.customer)
        invoice = InvoiceFactory(customer=a.customer, next_follow_up_at=now + timedelta(days=1, minutes=index))
        PaymentFactory(invoice=invoice, amount=Decimal("1.00"))
        dispatch = Dispatch.objects.create(
            kind=FOLLOW_UP,
            organization=world.org_a,
            customer=a.customer,
            invoice=invoice,
            step=step,
            channel="email",
            status=DispatchStatus.SENT,
            scheduled_for=now,
            subject="Reminder",
        )
        DispatchInvoice.objects.create(organization=world.org_a, dispatch=dispatch, invoice=invoice, open_amount=1)
        Mandate.objects.create(
            organization=world.org_a,
            customer=a.customer,
            profile=a.profile,
            state="cancelled",
            reference=f"MNDT-X{invoice.pk:06d}",
            debtor_name="Debtor",
            iban="BE68539007547034",
            language="en",
        )
        log_action(organization=world.org_a, subject=a.customer, code="customer.updated")
        log_action(organization=world.org_a, subject=invoice, code="invoice.created")


def grow_invoice(world, count: int) -> None:
    """`count` more payments, messages and activity entries for A's invoice 2026-001."""
    a, now = world.a, timezone.now()
    step = _step(a.plan)
    for _index in range(count):
        PaymentFactory(invoice=a.invoice, amount=Decimal("0.01"))
        dispatch = Dispatch.objects.create(
            kind=FOLLOW_UP,
            organization=world.org_a,
            customer=a.customer,
            invoice=InvoiceFactory(customer=a.customer),
            step=step,
            channel="email",
            status=DispatchStatus.SENT,
            scheduled_for=now,
            subject="Reminder",
        )
        DispatchInvoice.objects.create(organization=world.org_a, dispatch=dispatch, invoice=a.invoice, open_amount=1)
        log_action(organization=world.org_a, subject=a.invoice, code="invoice.updated")


def grow_team(world, count: int) -> None:
    """`count` more members (some reaching chosen organizations), pending invitations, team changes and notes."""
    now = timezone.now()
    for index in range(count):
        member = MembershipFactory(tenant=world.tenant_a, all_organizations=index % 2 == 0, is_account_manager=True)
        if index % 2:
            member.organizations.add(world.org_a, world.org_a2)
        invitation = MemberInvitation.objects.create(
            tenant=world.tenant_a,
            organization=world.org_a,
            email=f"invited{member.pk}@acme.example",
            token_hash=f"hash-{member.pk}",
            sent_at=now,
            expires_at=now + timedelta(days=7),
            invited_by=world.owner_a.user,
            all_organizations=False,
        )
        invitation.organizations.add(world.org_a)
        log_action(
            organization=world.org_a,
            subject=invitation,
            code="member.invited",
            actor=world.owner_a.user,
            data={"email": invitation.email, "role": "member"},
        )
        note = Note.objects.create(organization=world.org_a, customer=world.a.customer, body=f"Note {index} @manager")
        note.mentions.add(world.manager_a)


# A page may take this many queries more than it takes today (a count in the navigation, a setting read): a query
# per listed row would add 45 between the two counts below, far past it.
SLACK = 2
# Every staff page asks whether the member has a second factor (django-otp: one query per device kind, TOTP and
# recovery codes) unless the session is already verified with one.
TWO_FACTOR_CHECK = 2

# Page -> (URL under /o/acme-be/, how to grow what it lists, the queries it takes with 5 and with 50 rows).
PAGES = {
    # Cards and actions due (reports.views.HomeView); the trend, cash collected and top overdue customers are panels
    # the page loads after it (reports.views.HomePanelView).
    "dashboard": ("", grow, 7),
    "portfolio": ("?scope={manager_a.pk}", grow, 11),
    "home trend": ("reports/panels/?panel=trend&scope=organization", grow, 5),
    "home collected": ("reports/panels/?panel=collected&scope=organization", grow, 3),
    "home top overdue": ("reports/panels/?panel=top-overdue&scope={manager_a.pk}", grow, 4),
    "reports": ("reports/", grow, 3),
    "report aging": ("reports/aging/", grow, 9),
    "report actions": ("reports/actions/", grow, 9),
    "report performance": ("reports/performance/", grow, 10),
    "report days to pay": ("reports/days-to-pay/", grow, 8),
    "report top debtors": ("reports/top-debtors/", grow, 10),
    "report follow-up": ("reports/follow-up/", grow, 8),
    "customers": ("customers/", grow, 10),
    "customer detail": ("customers/{a.customer.pk}/", grow_customer, 15),
    "invoices": ("invoices/", grow, 8),
    "invoice detail": ("invoices/{a.invoice.pk}/", grow_invoice, 10),
    "follow-up overview": ("follow-up/", grow, 8),
    "upcoming": ("follow-up/upcoming/", grow, 12),
    "messages": ("follow-up/messages/", grow, 7),
    "message detail": ("follow-up/messages/{a.dispatch.pk}/", grow, 10),
    "actions": ("actions/", grow, 7),
    "actions (all)": ("actions/?status=all&mine=0", grow, 7),
    "campaigns": ("campaigns/", grow, 6),
    "campaign detail": ("campaigns/{a.campaign.pk}/", grow, 10),
    "bulk jobs": ("customers/jobs/", grow, 6),
    "outgoing mail": ("configuration/outgoing-mail/", grow, 7),
    "mandates": ("mandates/", grow, 8),
    "mandate detail": ("mandates/{a.mandate.pk}/", grow, 10),
    "members": ("configuration/members/", grow_team, 9),
    "member edit": ("configuration/members/{member_a.pk}/", grow_team, 7),
    "member remove": ("configuration/members/{manager_a.pk}/remove/", grow, 8),
    "customer timeline (notes)": ("customers/{a.customer.pk}/?kind=notes", grow_customer, 15),
    "invoice history (payments)": ("invoices/{a.invoice.pk}/?kind=payments", grow_invoice, 10),
    "api keys": ("configuration/api-keys/", grow, 6),
    "collections": ("collections/", grow, 6),
    "collection detail": ("collections/{a.batch.pk}/", grow, 9),
    "templates": ("configuration/templates/", grow, 6),
    "mandate profiles": ("configuration/mandate-profiles/", grow, 6),
    "imports": ("imports/", grow, 6),
}

API = {
    "customers": 3,
    "contacts": 2,
    "invoices": 2,
    "payments": 2,
    "dispatches": 5,
    "tasks": 2,
    "mandates": 2,
    "campaigns": 2,
    "collection-batches": 2,
    "collection-debits": 2,
    "imports": 2,
    "follow-up-plans": 3,
    "members": 3,
    "invitations": 3,
    "notes": 3,
}
# Endpoints whose rows grow_team adds (the others list what grow adds).
TEAM_ENDPOINTS = {"members", "invitations", "notes"}


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_in_a_fixed_number_of_queries(name, world, owner_a_client, django_assert_max_num_queries):
    path, grow_listed, budget = PAGES[name]
    url = "/o/acme-be/" + path.format(a=world.a, member_a=world.member_a, manager_a=world.manager_a)
    # A first visit saves the session and creates the organization's follow-up settings: once, not per page view.
    owner_a_client.get(url)
    for count in (5, 45):  # 5 rows, then 50: the budget does not move with the number of rows
        grow_listed(world, count)
        with django_assert_max_num_queries(budget + SLACK + TWO_FACTOR_CHECK):
            response = owner_a_client.get(url)
        assert response.status_code == 200


@pytest.mark.parametrize("endpoint", API)
def test_api_list_reads_in_a_fixed_number_of_queries(endpoint, world, api_a, django_assert_max_num_queries):
    api_a.get(f"/api/v1/{endpoint}/")  # a first call records when the key was last used: once, not per list
    for count in (5, 45):
        (grow_team if endpoint in TEAM_ENDPOINTS else grow)(world, count)
        with django_assert_max_num_queries(API[endpoint] + SLACK):
            response = api_a.get(f"/api/v1/{endpoint}/")
        assert response.status_code == 200
        assert response.json()["results"], "the list shows rows"


def test_upcoming_lists_every_due_invoice_with_its_next_step(world, owner_a_client, django_assert_max_num_queries):
    grow(world, 50)
    owner_a_client.get("/o/acme-be/follow-up/upcoming/")
    with django_assert_max_num_queries(PAGES["upcoming"][2] + SLACK + TWO_FACTOR_CHECK):
        response = owner_a_client.get("/o/acme-be/follow-up/upcoming/")
    html = response.content.decode()
    # 50 customers, 2 invoices each. Those of the 25 with a signed mandate wait for direct debit; of the others,
    # the invoice that already had its first reminder comes to the second step, the other to the first.
    assert html.count("1. Friendly reminder") == 25
    assert html.count("2. Second") == 25
    assert html.count("Waiting for direct-debit collection") == 50
