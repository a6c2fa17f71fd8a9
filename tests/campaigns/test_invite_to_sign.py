"""The "Invite to sign a mandate" bulk job: one mandate, invitation and e-mail per customer; problems reported."""

from __future__ import annotations

import pytest
from django.utils import timezone

from campaigns.bulk_actions import apply_invite_to_sign
from campaigns.messages import MANDATE_INVITATION
from campaigns.models import Campaign, Invitation
from campaigns.services import CampaignError, campaign_close, invitations_create
from customers.jobs import bulk_job_create, bulk_job_run
from customers.models import BulkJobStatus, CustomerType
from mandates.models import Mandate, MandateProfile, MandateState
from messaging.models import Dispatch
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db


def start(world, customers, **params):
    params = {"profile": world.a.profile.pk, "campaign": None, "campaign_name": "Autumn", "include_signed": False,
              **params}  # fmt: skip
    return bulk_job_create(organization=world.org_a, action="invite_to_sign", params=params,
                           ids=[c.pk for c in customers], filter_query="", select_all=False,
                           actor=world.owner_a.user)  # fmt: skip


def test_inviting_creates_a_mandate_an_invitation_and_one_email_per_customer(world, make_customer):
    customers = [make_customer(language=language) for language in ("nl", "fr", "de")]
    job = start(world, customers)
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.succeeded, job.failed, job.problems) == (BulkJobStatus.DONE, 3, 0, [])
    campaign = Campaign.objects.get(organization=world.org_a, name="Autumn")
    mandates = Mandate.objects.filter(invitation__campaign=campaign).order_by("customer_id")
    assert [m.customer_id for m in mandates] == [c.pk for c in customers]
    assert {m.state for m in mandates} == {MandateState.INVITED}
    assert [m.language for m in mandates] == ["nl", "fr", "de"]
    assert len({m.reference for m in mandates}) == 3 and all(m.reference.startswith("ACME") for m in mandates)
    assert all(m.link_expires_at > timezone.now() + timezone.timedelta(days=29) for m in mandates)
    dispatches = Dispatch.objects.filter(organization=world.org_a, kind=MANDATE_INVITATION)
    assert sorted(dispatches.values_list("dedupe_key", flat=True)) == sorted(
        f"mandate-invitation:{m.pk}:0" for m in mandates
    )
    logged = ActivityLog.objects.filter(code="invitation.created", actor_user=world.owner_a.user)
    assert logged.count() == 3
    assert ActivityLog.objects.filter(code="campaign.created", subject_id=campaign.pk).count() == 1


def test_a_chunk_that_runs_twice_creates_nothing_the_second_time(world, make_customer):
    customers = [make_customer() for _ in range(3)]
    job = start(world, customers)
    params = {**job.params, "job_id": job.pk}
    ids = [c.pk for c in customers]
    first = apply_invite_to_sign(organization=world.org_a, customer_ids=ids, params=params, actor=world.owner_a.user)
    again = apply_invite_to_sign(organization=world.org_a, customer_ids=ids, params=params, actor=world.owner_a.user)
    assert (first.succeeded, first.problems) == (3, [])
    assert (again.succeeded, again.problems) == (3, [])  # the repeat is not reported as "already invited"
    assert Invitation.objects.filter(customer_id__in=ids).exclude(pk=world.a.invitation.pk).count() == 3
    assert Mandate.objects.filter(customer_id__in=ids).count() == 3
    assert Dispatch.objects.filter(customer_id__in=ids, kind=MANDATE_INVITATION).count() == 3
    assert Campaign.objects.filter(organization=world.org_a, name="Autumn").count() == 1


def test_problems_are_reported_per_customer_not_skipped_silently(world, make_customer):
    no_email = make_customer(email=False, name="Nomail NV")
    already_signed = make_customer(name="Signed BV")
    Mandate.objects.create(organization=world.org_a, customer=already_signed, profile=world.a.profile,
                           state=MandateState.SIGNED, reference="OLD-1", signed_at=timezone.now())  # fmt: skip
    fine = make_customer(name="Fine SA")
    job = start(world, [no_email, already_signed, fine])
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    messages = {problem["name"]: problem["message"] for problem in job.problems}
    assert set(messages) == {"Nomail NV", "Signed BV"}
    assert "valid e-mail" in messages["Nomail NV"]
    assert "Already signed" in messages["Signed BV"]
    # Without an e-mail address the invitation exists (its link can be copied), but no e-mail is queued.
    invitation = Invitation.objects.get(customer=no_email)
    assert "valid e-mail" in invitation.problem
    assert not Dispatch.objects.filter(customer=no_email).exists()
    assert not Invitation.objects.filter(customer=already_signed).exists()
    assert Invitation.objects.filter(customer=fine, problem="").exists()


def test_customers_who_signed_are_invited_again_only_with_confirmation(world, make_customer):
    signed = make_customer()
    Mandate.objects.create(organization=world.org_a, customer=signed, profile=world.a.profile,
                           state=MandateState.SIGNED, reference="OLD-2", signed_at=timezone.now())  # fmt: skip
    job = start(world, [signed], include_signed=True)
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.problems == []
    assert Invitation.objects.filter(customer=signed).exists()


def test_a_b2b_profile_refuses_persons(world, make_customer):
    b2b = MandateProfile.objects.create(organization=world.org_a, name="B2B", scheme="B2B", reference_prefix="B2B")
    person = make_customer(type=CustomerType.PERSON, name="Jan Peeters")
    company = make_customer(type=CustomerType.COMPANY)
    job = start(world, [person, company], profile=b2b.pk, campaign_name="Business")
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert [(p["name"], "B2B" in p["message"]) for p in job.problems] == [("Jan Peeters", True)]
    assert not Mandate.objects.filter(customer=person).exists()
    assert Mandate.objects.get(customer=company).scheme == "B2B"


def test_customers_already_invited_in_the_campaign_are_reported(world, make_customer, campaign):
    customer = make_customer(name="Twice BV")
    invitations_create(campaign=campaign, customer_ids=[customer.pk], actor=world.owner_a.user)
    job = start(world, [customer], campaign=campaign.pk, campaign_name="")
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert [(p["name"], p["message"]) for p in job.problems] == [("Twice BV", "Already invited in this campaign.")]
    assert Invitation.objects.filter(campaign=campaign, customer=customer).count() == 1


def test_ids_of_another_organization_are_ignored(world, make_customer, campaign):
    foreign = make_customer(organization=world.org_b)
    result = invitations_create(campaign=campaign, customer_ids=[foreign.pk], actor=world.owner_a.user)
    assert (result.invited, result.problems) == (0, [])
    assert not Mandate.objects.filter(customer=foreign).exists()


def test_a_closed_campaign_takes_no_new_customers(world, make_customer, campaign):
    campaign_close(campaign=campaign, actor=world.owner_a.user)
    with pytest.raises(CampaignError):
        invitations_create(campaign=campaign, customer_ids=[make_customer().pk], actor=world.owner_a.user)
    job = start(world, [make_customer()], campaign=campaign.pk, campaign_name="")
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == BulkJobStatus.FAILED
    assert "closed" in job.problems[-1]["message"]


def test_references_are_allocated_once_per_chunk_and_never_reused(world, make_customer, campaign):
    first = invitations_create(campaign=campaign, customer_ids=[make_customer().pk for _ in range(2)])
    second = invitations_create(campaign=campaign, customer_ids=[make_customer().pk for _ in range(2)])
    assert first.invited == second.invited == 2
    references = list(Mandate.objects.filter(invitation__campaign=campaign).values_list("reference", flat=True))
    assert len(set(references)) == 4
