"""Invitation and reminder e-mails end to end: queued by the campaign, delivered once by the real outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core.management import call_command
from django.utils import timezone
from django.utils.translation import gettext, override

from campaigns.messages import MANDATE_REMINDER
from campaigns.models import Invitation
from campaigns.selectors import campaign_funnel
from campaigns.services import campaign_close, campaign_remind, invitations_create, reminders_send_due_cross_tenant
from mailroom.models import StoredEmail
from mandates.links import signing_url
from mandates.models import Mandate, MandateState
from messaging.delivery import deliver_one
from messaging.kinds import concerning
from messaging.models import Dispatch, DispatchStatus

pytestmark = pytest.mark.django_db


def deliver_all(now=None) -> list[Dispatch]:
    now = now or timezone.now() + timedelta(seconds=1)
    queued = Dispatch.objects.filter(status=DispatchStatus.QUEUED).values_list("pk", flat=True)
    return [deliver_one(dispatch_id=pk, now=now) for pk in list(queued)]


def test_the_invitation_reaches_the_debtor_with_the_signing_link(world, make_customer, campaign):
    customer = make_customer(name="Lumen Design SRL", language="fr")
    invitations_create(campaign=campaign, customer_ids=[customer.pk], actor=world.owner_a.user)
    mandate = Mandate.objects.get(customer=customer)
    call_command("run_followups")
    email = StoredEmail.objects.get(organization=world.org_a, to=[f"billing{customer.pk}@debtor.example"])
    link = signing_url(mandate)
    assert link.startswith("https://collect.example/sign/")
    assert link in email.text_body
    with override("fr"):
        button = gettext("Sign the mandate")
    assert f'href="{link}"' in email.html_body and button in email.html_body
    assert "prélèvement SEPA" in email.subject  # the mandate's language: the customer's, French
    invitation = Invitation.objects.get(mandate=mandate)
    assert invitation.last_action_at is not None and invitation.problem == ""
    assert Dispatch.objects.get(concerning(mandate)).status == DispatchStatus.SENT


def test_an_invitation_is_not_sent_once_the_mandate_is_signed_or_the_campaign_closed(world, make_customer, campaign):
    signed_meanwhile, in_closed = make_customer(), make_customer()
    invitations_create(campaign=campaign, customer_ids=[signed_meanwhile.pk, in_closed.pk])
    Mandate.objects.filter(customer=signed_meanwhile).update(state=MandateState.SIGNED, signed_at=timezone.now())
    deliver_all()
    assert Dispatch.objects.get(customer=signed_meanwhile).status == DispatchStatus.SKIPPED
    assert Dispatch.objects.get(customer=in_closed).status == DispatchStatus.SENT
    remind_later = make_customer()
    invitations_create(campaign=campaign, customer_ids=[remind_later.pk])
    campaign_close(campaign=campaign, actor=None)
    deliver_all()
    skipped = Dispatch.objects.get(customer=remind_later)
    assert skipped.status == DispatchStatus.SKIPPED and "closed" in skipped.reason


def test_an_expired_link_is_not_sent(world, make_customer, campaign):
    customer = make_customer()
    invitations_create(campaign=campaign, customer_ids=[customer.pk])
    Mandate.objects.filter(customer=customer).update(link_expires_at=timezone.now() - timedelta(minutes=1))
    deliver_all()
    assert Dispatch.objects.get(customer=customer).reason == "The signing link has expired."


def test_a_failed_invitation_records_the_problem(world, make_customer, campaign):
    customer = make_customer()
    invitations_create(campaign=campaign, customer_ids=[customer.pk])
    customer.contacts.update(notify=False)  # nobody left to write to at send time
    deliver_all()
    assert "valid e-mail" in Invitation.objects.get(customer=customer).problem


def test_automatic_reminders_go_out_every_n_days_up_to_m_times(world, make_customer, campaign):
    profile = world.a.profile
    profile.remind_every_days, profile.remind_max_times, profile.link_valid_days = 7, 2, 60
    profile.save()
    start = timezone.now()
    waiting, signs = make_customer(), make_customer()
    invitations_create(campaign=campaign, customer_ids=[waiting.pk, signs.pk], now=start)
    assert reminders_send_due_cross_tenant(now=start + timedelta(days=6)) == 0
    assert reminders_send_due_cross_tenant(now=start + timedelta(days=7, minutes=1)) == 2
    assert reminders_send_due_cross_tenant(now=start + timedelta(days=7, minutes=2)) == 0  # not twice in a round
    Mandate.objects.filter(customer=signs).update(state=MandateState.SIGNED, signed_at=timezone.now())
    assert reminders_send_due_cross_tenant(now=start + timedelta(days=14, minutes=2)) == 1
    assert reminders_send_due_cross_tenant(now=start + timedelta(days=30)) == 0  # two rounds is the most
    invitation = Invitation.objects.get(customer=waiting)
    assert (invitation.reminders_sent, invitation.next_reminder_at) == (2, None)
    keys = Dispatch.objects.filter(customer=waiting, kind=MANDATE_REMINDER).values_list("dedupe_key", flat=True)
    assert sorted(keys) == [f"mandate-invitation:{invitation.mandate_id}:{n}" for n in (1, 2)]
    assert Invitation.objects.get(customer=signs).next_reminder_at is None


def test_closing_a_campaign_stops_its_reminders(world, make_customer, campaign):
    profile = world.a.profile
    profile.remind_every_days, profile.remind_max_times = 3, 5
    profile.save()
    start = timezone.now()
    invitations_create(campaign=campaign, customer_ids=[make_customer().pk], now=start)
    campaign_close(campaign=campaign, actor=world.owner_a.user)
    assert reminders_send_due_cross_tenant(now=start + timedelta(days=4)) == 0
    assert not Dispatch.objects.filter(kind=MANDATE_REMINDER).exists()


def test_remind_now_sends_a_reminder_with_the_link(world, make_customer, campaign):
    customer, signed = make_customer(language="nl"), make_customer()
    invitations_create(campaign=campaign, customer_ids=[customer.pk, signed.pk])
    Mandate.objects.filter(customer=signed).update(state=MandateState.SIGNED, signed_at=timezone.now())
    assert campaign_remind(campaign=campaign, actor=world.owner_a.user) == 1
    deliver_all()
    reminder = Dispatch.objects.get(kind=MANDATE_REMINDER)
    assert reminder.customer_id == customer.pk and reminder.status == DispatchStatus.SENT
    assert reminder.subject.startswith("Herinnering")
    assert signing_url(Mandate.objects.get(customer=customer)) in reminder.text_body
    assert Invitation.objects.get(customer=customer).reminders_sent == 1


def test_a_bounced_invitation_shows_in_the_funnel(world, make_customer, campaign):
    customer = make_customer()
    invitations_create(campaign=campaign, customer_ids=[customer.pk])
    (dispatch,) = deliver_all()
    address = f"billing{customer.pk}@debtor.example"
    event = AnymailTrackingEvent(
        event_type="bounced", timestamp=datetime(2026, 12, 4, 8, 5, tzinfo=UTC), message_id="pm-1",
        recipient=address, metadata={"organization_id": world.org_a.pk, "dispatch_id": dispatch.pk},
        esp_event={"RecordType": "Bounce", "Type": "HardBounce"},
    )  # fmt: skip
    tracking.send(sender=object, event=event, esp_name="Postmark")
    invitation = Invitation.objects.get(customer=customer)
    assert invitation.email_bounced_at == datetime(2026, 12, 4, 8, 5, tzinfo=UTC)
    assert campaign_funnel(campaign=campaign).bounced == 1
    assert customer.contacts.get().email_status == "bounced"  # the existing behaviour stays
