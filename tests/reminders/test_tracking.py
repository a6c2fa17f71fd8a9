"""Tracking webhooks: the provider's events are stored once, bounce an address, and settle unknown outcomes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from customers.models import Customer, EmailStatus
from messaging.delivery import LEASE, claim_many, deliver_one
from messaging.models import AttemptOutcome, DeliveryAttempt, Dispatch, DispatchEvent, DispatchStatus
from messaging.sweep import sweep
from reminders.decide import decide_due_cross_tenant
from reminders.models import Task, TaskStatus

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
LATER = NOW + LEASE + timedelta(minutes=1)
SECRET = "postmark:correct-horse-battery"
WEBHOOK = "/webhooks/anymail/postmark/tracking/"
ADDRESS = "camille@lumen.example"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


@pytest.fixture
def sent(world, make_invoice):
    """A reminder to Lumen Design, sent and booked."""
    make_invoice("E-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    deliver_one(dispatch_id=dispatch.pk, now=NOW)
    Dispatch.objects.filter(pk=dispatch.pk).update(provider_message_id="pm-0001")
    return Dispatch.objects.get(pk=dispatch.pk)


def metadata(dispatch, organization=None) -> dict:
    # Postmark gives metadata back as strings.
    return {"organization_id": str((organization or dispatch.organization).pk), "dispatch_id": str(dispatch.pk)}


def delivery(dispatch, **overrides) -> dict:
    return {"RecordType": "Delivery", "ServerID": 1, "MessageStream": "outbound", "MessageID": "pm-0001",
            "Recipient": ADDRESS, "Tag": "follow-up", "DeliveredAt": "2026-12-04T08:00:05Z",
            "Details": "smtp;250 2.0.0 OK", "Metadata": metadata(dispatch), **overrides}  # fmt: skip


def bounce(dispatch, kind="HardBounce", **overrides) -> dict:
    return {"RecordType": "Bounce", "ID": 4323372036, "Type": kind, "TypeCode": 1, "Name": "Hard bounce",
            "Tag": "follow-up", "MessageID": "pm-0001", "ServerID": 1, "MessageStream": "outbound",
            "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
            "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
            "Email": ADDRESS, "From": "no-reply@collect.localhost", "BouncedAt": "2026-12-04T08:01:00Z",
            "Inactive": True, "CanActivate": True, "Subject": "Reminder", "Metadata": metadata(dispatch),
            **overrides}  # fmt: skip


def post(client, payload, secret=SECRET):
    """Post as Postmark does: JSON, with the basic-auth credentials from the webhook URL."""
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(WEBHOOK, data=json.dumps(payload), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Basic {auth}")  # fmt: skip


def signal(dispatch, event_type="delivered", **fields) -> None:
    moment = fields.pop("timestamp", datetime(2026, 12, 4, 8, 5, tzinfo=UTC))
    event = AnymailTrackingEvent(event_type=event_type, timestamp=moment,
                                 message_id=fields.pop("message_id", "pm-0001"), recipient=ADDRESS,
                                 metadata=fields.pop("metadata", metadata(dispatch)),
                                 esp_event=fields.pop("esp_event", {"RecordType": "Delivery"}), **fields)  # fmt: skip
    tracking.send(sender=object, event=event, esp_name="Postmark")


def test_a_delivered_event_is_stored_once_even_if_posted_twice(sent, client):
    assert post(client, delivery(sent)).status_code == 200
    assert post(client, delivery(sent)).status_code == 200  # Postmark retried: our first answer was lost
    (event,) = DispatchEvent.objects.filter(dispatch=sent)
    assert (event.event_type, event.recipient, event.organization) == ("delivered", ADDRESS, sent.organization)
    assert event.raw["RecordType"] == "Delivery" and event.esp_event_id == ""


def test_a_bounce_posted_twice_with_its_id_is_stored_once(sent, client):
    post(client, bounce(sent))
    post(client, bounce(sent, BouncedAt="2026-12-04T08:02:00Z"))  # the same bounce (same ID), sent again
    assert DispatchEvent.objects.filter(dispatch=sent).count() == 1


def test_a_webhook_without_the_secret_is_refused(sent, client):
    assert post(client, delivery(sent), secret="postmark:guess").status_code == 400
    assert not DispatchEvent.objects.exists()


def test_a_hard_bounce_marks_the_contact_bounced_and_opens_a_task(world, sent, client, api_a):
    customer = sent.customer
    assert Customer.objects.get(pk=customer.pk).has_valid_email
    assert post(client, bounce(sent)).status_code == 200
    contact = customer.contacts.get()
    assert contact.email_status == EmailStatus.BOUNCED and "does not exist" in contact.email_status_detail
    assert not Customer.objects.get(pk=customer.pk).has_valid_email
    listed = api_a.get(reverse("api:customer-list"), {"valid_email": "false"}).json()["results"]
    assert customer.pk in {row["id"] for row in listed}
    task = Task.objects.get(dispatch=sent)
    assert task.assigned_to == world.manager_a and ADDRESS in task.title and task.status == TaskStatus.TODO
    assert Dispatch.objects.get(pk=sent.pk).status == DispatchStatus.SENT  # it went out; it bounced afterwards


@pytest.mark.parametrize("event_type", ["rejected", "complained"])
def test_a_rejection_or_complaint_also_stops_using_the_address(sent, event_type):
    signal(sent, event_type, esp_event={"RecordType": "SpamComplaint"})
    assert sent.customer.contacts.get().email_status == EmailStatus.BOUNCED


def test_a_soft_bounce_leaves_the_address_in_use(sent, client):
    post(client, bounce(sent, kind="SoftBounce"))
    assert sent.customer.contacts.get().email_status == EmailStatus.VALID
    assert DispatchEvent.objects.get(dispatch=sent).event_type == "bounced"
    assert not Task.objects.filter(dispatch=sent).exists()


def test_an_event_naming_another_organizations_dispatch_is_ignored(world, sent, client):
    foreign = world.b.dispatch
    claims_b = bounce(sent, Metadata=metadata(sent, organization=world.org_b), MessageID="pm-x")
    claims_a = bounce(foreign, Metadata=metadata(foreign, organization=world.org_a), MessageID="pm-y")
    assert post(client, claims_b).status_code == 200 and post(client, claims_a).status_code == 200
    assert not DispatchEvent.objects.exists()
    assert sent.customer.contacts.get().email_status == EmailStatus.VALID
    assert world.b.contact.email_status == EmailStatus.VALID
    assert not Task.objects.filter(dispatch__in=[sent, foreign]).exists()


def test_an_event_without_metadata_is_matched_by_the_providers_message_id(sent):
    signal(sent, metadata={})
    assert DispatchEvent.objects.get().dispatch == sent
    signal(sent, metadata={}, message_id="pm-unknown", timestamp=None)
    assert DispatchEvent.objects.count() == 1


@pytest.fixture
def uncertain(world, make_invoice, settings):
    """A worker died while an external provider was being called: the sweeper could not tell."""
    invoice = make_invoice("U-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    assert claim_many(dispatch_ids=[dispatch.pk], now=NOW) == [dispatch.pk]
    DeliveryAttempt.objects.create(organization=dispatch.organization, dispatch=dispatch, number=1)
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    assert sweep(now=LATER) == {"requeued": 0, "proven_sent": 0, "uncertain": 1}
    dispatch.invoice_under_test = invoice
    return dispatch


def test_an_uncertain_dispatch_becomes_sent_on_a_delivered_event(uncertain, client):
    assert Dispatch.objects.get(pk=uncertain.pk).task.status == TaskStatus.TODO
    post(client, delivery(uncertain))
    dispatch = Dispatch.objects.get(pk=uncertain.pk)
    assert dispatch.status == DispatchStatus.SENT and dispatch.sent_at is not None
    assert dispatch.delivery_attempts.get().outcome == AttemptOutcome.SENT
    assert dispatch.task.status == TaskStatus.DONE  # "check whether it arrived" is answered
    invoice = uncertain.invoice_under_test
    invoice.refresh_from_db()
    assert invoice.follow_up_level == 1


def test_a_bounce_after_an_uncertain_send_turns_its_check_task_into_a_bounce_task(uncertain, client):
    post(client, bounce(uncertain))
    task = Task.objects.get(dispatch=uncertain)
    assert task.status == TaskStatus.TODO and ADDRESS in task.title
    assert Dispatch.objects.get(pk=uncertain.pk).status == DispatchStatus.SENT  # it did go out


def test_an_opened_event_also_proves_the_message_went_out(uncertain):
    signal(uncertain, "opened", esp_event={"RecordType": "Open"})
    assert Dispatch.objects.get(pk=uncertain.pk).status == DispatchStatus.SENT


def test_an_unknown_event_is_stored_but_settles_nothing(uncertain):
    signal(uncertain, "autoresponded", esp_event={"RecordType": "Something new"})
    assert DispatchEvent.objects.get().event_type == "unknown"
    assert Dispatch.objects.get(pk=uncertain.pk).status == DispatchStatus.UNCERTAIN


def test_the_sweeper_books_as_sent_what_the_provider_reported_during_the_lease(world, make_invoice, settings):
    make_invoice("L-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    assert claim_many(dispatch_ids=[dispatch.pk], now=NOW) == [dispatch.pk]
    DeliveryAttempt.objects.create(organization=dispatch.organization, dispatch=dispatch, number=1)
    signal(dispatch)  # delivered while the (dead) worker still held the claim: nothing changes yet
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.SENDING
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    assert sweep(now=LATER) == {"requeued": 0, "proven_sent": 1, "uncertain": 0}
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.SENT


def test_a_retry_waiting_after_an_error_the_provider_survived_is_not_sent_again(world, make_invoice):
    make_invoice("R-1", date(2026, 12, 7))
    (dispatch,) = decide_due_cross_tenant(now=NOW)
    # The call timed out after the provider had accepted: delivery scheduled a retry.
    Dispatch.objects.filter(pk=dispatch.pk).update(attempts=1, next_attempt_at=NOW + timedelta(minutes=1))
    signal(dispatch)
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.SENT
    assert deliver_one(dispatch_id=dispatch.pk, now=NOW + timedelta(minutes=2)) is None  # nothing to claim


def test_the_message_page_shows_the_status_events(world, sent, owner_a_client, client):
    post(client, delivery(sent))
    page = owner_a_client.get(reverse("follow_up:dispatch", args=[world.org_a.slug, sent.pk]))
    assert 'data-testid="dispatch-events"' in page.text and "smtp;250 2.0.0 OK" in page.text


def test_the_deployment_check_wants_a_webhook_secret_when_an_esp_sends(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "x"}
    with pytest.raises(SystemCheckError, match="reminders.E001"):
        call_command("check", "--deploy", "--tag", "security", stdout=StringIO(), stderr=StringIO())
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "x", "WEBHOOK_SECRET": SECRET}
    call_command("check", "--deploy", "--tag", "security", stdout=StringIO(), stderr=StringIO())
