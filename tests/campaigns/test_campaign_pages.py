"""Campaign pages: the bulk action's form, the list with progress, the funnel page, remind and close."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.messages import MANDATE_REMINDER
from campaigns.models import Campaign, CampaignStatus, Invitation
from campaigns.services import invitations_create
from customers.models import BulkJob
from mandates.links import signing_url
from mandates.models import Mandate, MandateState
from messaging.models import Dispatch
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db


def test_the_invite_form_starts_a_job_into_a_new_campaign(world, make_customer, owner_a_client):
    customers = [make_customer(), make_customer()]
    url = reverse("customers:bulk", args=[world.org_a.slug])
    base = {"action": "invite_to_sign", "ids": [c.pk for c in customers]}
    form = owner_a_client.post(url, base)
    assert form.status_code == 200
    assert b"Also invite customers who already signed" in form.content
    assert b"Spring mandates" in form.content  # the open campaign can be chosen
    missing = owner_a_client.post(url, {**base, "confirm": "1", "profile": world.a.profile.pk})
    assert missing.status_code == 400 and b"Name the new campaign" in missing.content
    started = owner_a_client.post(url, {**base, "confirm": "1", "profile": world.a.profile.pk,
                                        "campaign_name": "Winter"})  # fmt: skip
    job = BulkJob.objects.get(organization=world.org_a, action="invite_to_sign")
    assert started.status_code == 302 and started.url.endswith(f"/jobs/{job.pk}/")
    assert job.params == {"profile": world.a.profile.pk, "campaign": None, "campaign_name": "Winter",
                          "include_signed": False}  # fmt: skip


def test_the_invite_form_refuses_a_profile_other_than_the_campaigns(world, make_customer, owner_a_client):
    from mandates.models import MandateProfile

    other = MandateProfile.objects.create(organization=world.org_a, name="Other", reference_prefix="OTH")
    url = reverse("customers:bulk", args=[world.org_a.slug])
    response = owner_a_client.post(url, {"action": "invite_to_sign", "ids": [make_customer().pk], "confirm": "1",
                                         "profile": other.pk, "campaign": world.a.campaign.pk})  # fmt: skip
    assert response.status_code == 400 and "uses the profile" in response.content.decode()


def test_the_list_shows_each_campaigns_progress(world, make_customer, campaign, owner_a_client):
    customers = [make_customer() for _ in range(4)]
    invitations_create(campaign=campaign, customer_ids=[c.pk for c in customers])
    Mandate.objects.filter(customer=customers[0]).update(state=MandateState.SIGNED, signed_at=timezone.now())
    response = owner_a_client.get(reverse("campaigns:list", args=[world.org_a.slug]))
    assert response.status_code == 200
    row = next(c for c in response.context["campaigns"] if c.pk == campaign.pk)
    assert (row.invited, row.signed, row.percent_signed) == (4, 1, 25)
    assert "Autumn direct debit" in response.content.decode()


def test_the_list_explains_how_to_start_when_empty(world, owner_a_client):
    Invitation.objects.all().delete()
    Campaign.objects.all().delete()
    response = owner_a_client.get(reverse("campaigns:list", args=[world.org_a.slug]))
    assert b'data-testid="campaigns-empty"' in response.content


def test_the_detail_shows_the_funnel_and_filters_by_state(world, make_customer, campaign, owner_a_client):
    waiting, signed = make_customer(name="Waiting BV"), make_customer(name="Signed BV")
    invitations_create(campaign=campaign, customer_ids=[waiting.pk, signed.pk])
    Mandate.objects.filter(customer=signed).update(state=MandateState.SIGNED, signed_at=timezone.now())
    url = reverse("campaigns:detail", args=[world.org_a.slug, campaign.pk])
    page = owner_a_client.get(url).content.decode()
    assert 'data-testid="funnel-invited">2<' in page and 'data-testid="funnel-signed">1<' in page
    assert 'data-testid="percent-signed">50%<' in page
    assert signing_url(Mandate.objects.get(customer=waiting)) in page  # the link to copy
    filtered = owner_a_client.get(url, {"stage": "signed"}).content.decode()
    assert "Signed BV" in filtered and "Waiting BV" not in filtered
    empty = owner_a_client.get(url, {"stage": "declined"}).content.decode()
    assert 'data-testid="invitations-empty"' in empty


def test_remind_asks_for_confirmation_then_queues(world, make_customer, campaign, owner_a_client):
    customers = [make_customer(), make_customer()]
    invitations_create(campaign=campaign, customer_ids=[c.pk for c in customers])
    url = reverse("campaigns:remind", args=[world.org_a.slug, campaign.pk])
    confirm = owner_a_client.post(url, {"select_all": "1"})
    assert confirm.status_code == 200 and confirm.context["count"] == 2
    assert not Dispatch.objects.filter(kind=MANDATE_REMINDER).exists()
    done = owner_a_client.post(url, {"select_all": "1", "confirm": "1"})
    assert done.status_code == 302
    assert Dispatch.objects.filter(kind=MANDATE_REMINDER).count() == 2
    assert ActivityLog.objects.filter(code="campaign.reminded", subject_id=campaign.pk).exists()
    one = Invitation.objects.get(customer=customers[0])
    owner_a_client.post(url, {"ids": [one.pk], "confirm": "1"})
    assert Invitation.objects.get(pk=one.pk).reminders_sent == 2
    assert Invitation.objects.get(customer=customers[1]).reminders_sent == 1


def test_close_asks_for_confirmation_and_logs(world, campaign, owner_a_client):
    url = reverse("campaigns:close", args=[world.org_a.slug, campaign.pk])
    assert b'id="confirm-close"' in owner_a_client.get(url).content
    owner_a_client.post(url)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CLOSED and campaign.closed_at is not None
    assert ActivityLog.objects.filter(code="campaign.closed", subject_id=campaign.pk).exists()
    page = owner_a_client.get(reverse("campaigns:detail", args=[world.org_a.slug, campaign.pk])).content
    assert b'id="remind-all"' not in page and b"keep working until they expire" in page


def test_another_organizations_campaign_is_not_found(world, owner_a_client):
    for name in ("detail", "close"):
        assert owner_a_client.get(reverse(f"campaigns:{name}", args=[world.org_a.slug, world.b.campaign.pk])
                                  ).status_code == 404  # fmt: skip
    remind = reverse("campaigns:remind", args=[world.org_a.slug, world.b.campaign.pk])
    assert owner_a_client.post(remind, {"select_all": "1", "confirm": "1"}).status_code == 404
