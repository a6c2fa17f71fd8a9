"""The outbox: every message Collect sends, whatever it is about, and its history.

A Dispatch is one message (or a task for a person) decided by a feature: a follow-up step, a manual reminder,
a mandate invitation, a pre-notification. Delivering claims one row at a time and records each attempt before
the provider is called (messaging/delivery.py); the provider's tracking events are stored once
(messaging/tracking.py). See docs/architecture.md and ../shared/docs/conventions.md, "Scheduling and sending".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class FallbackChannel(models.TextChoices):
    """What happens when a step's e-mail is refused for good (bad address, provider refusal, no valid contact)."""

    TASK = "task", _("Task for a person")  # someone finds a working address or another way
    LETTER = "letter", _("Letter by post")  # a task to post a letter, until the postal integration sends it
    NONE = "none", _("Nothing")  # the refusal is recorded; nobody is asked to act


class TemplatePurpose(models.TextChoices):
    PRE_DUE = "pre_due", _("Friendly reminder before the due date")
    REMINDER_1 = "reminder_1", _("First reminder")
    REMINDER_2 = "reminder_2", _("Second reminder")
    FINAL_NOTICE = "final_notice", _("Final notice")
    INVOICE = "invoice", _("Invoice")
    MANDATE_INVITATION = "mandate_invitation", _("Mandate invitation")
    MANDATE_REMINDER = "mandate_reminder", _("Mandate invitation reminder")
    MANDATE_SIGNED = "mandate_signed", _("Signed mandate (copy for the debtor)")
    PRE_NOTIFICATION = "pre_notification", _("Direct-debit pre-notification")
    PAYMENT_PLAN = "payment_plan", _("Payment plan")


class MessageTemplate(models.Model):
    """An organization's own text for a purpose and language; without one, the system default applies."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="message_templates")
    purpose = models.CharField(_("purpose"), max_length=32, choices=TemplatePurpose.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["purpose", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "purpose", "language"], name="message_template_per_purpose_and_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} ({self.language})"


class StepChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")  # a message to the contacts that receive messages
    LETTER = "letter", _("Letter by post")  # through the postal integration
    TASK = "task", _("Task for a person")  # e.g. call the customer; assigned to the account manager
    MANUAL = "manual", _("Manual intervention")  # the plan stops until a person decides


class DispatchStatus(models.TextChoices):
    # decided under a plan that reviews messages; waits on "To approve" (next_attempt_at: when it is listed)
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    QUEUED = "queued", _("Queued")  # decided; waits for its sending time or a worker
    SENDING = "sending", _("Sending")  # claimed by a worker; the provider is being called
    SENT = "sent", _("Sent")  # the provider accepted it
    TEST = "test", _("Test (not sent)")  # rendered and recorded in test mode
    SKIPPED = "skipped", _("Skipped")  # at sending time it no longer applied (paid, paused, …); see reason
    FAILED = "failed", _("Failed")  # permanently refused (bad address, …); a person was told
    MISSED = "missed", _("Missed")  # could not go out in time; not sent late
    UNCERTAIN = "uncertain", _("Outcome unknown")  # the worker died while calling the provider; a person checks


class Dispatch(models.Model):
    """One message (or task) decided by the engine or sent by hand: the outbox row and its history."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="dispatches")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="dispatches")
    # What the message is about, as registered by the app that owns it (messaging/kinds.py): "follow_up",
    # "mandate_invitation", "pre_notification", …
    kind = models.CharField(_("kind"), max_length=24)
    # The invoice that carries the step: the oldest one in a grouped message, or the invoice itself.
    # Empty for messages about something else than invoices (a mandate invitation, …).
    invoice = models.ForeignKey(
        "invoices.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="dispatches"
    )
    # The record of the app that owns the message, when it is not an invoice: "mandates.mandate" and its id, …
    # (the app's label and model name; the owning kind's handler reads it back).
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Makes a message of another kind exactly-once: "mandate-invitation:<mandate>:<round>", …
    dedupe_key = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict, blank=True)  # what the kind's handler needs (batch id, round, …)
    step = models.ForeignKey(
        "reminders.FollowUpStep", null=True, blank=True, on_delete=models.PROTECT, related_name="dispatches"
    )
    # A late arrival's first message: the day the plan's offsets count from for the invoices it lists, so the
    # next steps keep their spacing from this message instead of falling due at once (reminders/decide.py).
    schedule_from = models.DateField(null=True, blank=True)
    manual = models.BooleanField(default=False)
    # Manual sends: the chosen message, and the text as the user edited it (placeholders still allowed).
    purpose = models.CharField(_("message"), max_length=32, choices=TemplatePurpose.choices, blank=True)
    custom_subject = models.CharField(max_length=200, blank=True)
    custom_body = models.TextField(blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=StepChannel.choices)
    status = models.CharField(_("status"), max_length=24, choices=DispatchStatus.choices, default=DispatchStatus.QUEUED)
    scheduled_for = models.DateTimeField(_("scheduled for"))
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    from_email = models.CharField(max_length=320, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    provider_message_id = models.CharField(max_length=300, blank=True)
    # The plan's fallback that followed a permanent refusal of this e-mail; empty when none was needed.
    fell_back_to = models.CharField(_("fell back to"), max_length=16, choices=FallbackChannel.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "step"], condition=Q(manual=False), name="dispatch_once_per_invoice_and_step"
            ),
            models.UniqueConstraint(
                fields=["organization", "dedupe_key"], condition=~Q(dedupe_key=""), name="dispatch_once_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="dispatch_due"),
            models.Index(fields=["organization", "customer", "-created_at"], name="dispatch_by_customer"),
            models.Index(fields=["subject_type", "subject_id"], name="dispatch_by_subject"),
            models.Index(
                fields=["organization", "next_attempt_at"],
                condition=Q(status="awaiting_approval"),
                name="dispatch_awaiting_approval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.subject or self.step}"


class DispatchInvoice(models.Model):
    """An invoice listed in a message, with what was open when it was decided."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="dispatch_items")
    open_amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dispatch", "invoice"], name="dispatch_item_once")]

    def __str__(self) -> str:
        return f"{self.dispatch_id}:{self.invoice_id}"


class AttemptOutcome(models.TextChoices):
    STARTED = "started", _("Started")  # recorded before the provider is called
    SENT = "sent", _("Accepted by the provider")
    TRANSIENT = "transient", _("Temporary error; will retry")
    PERMANENT = "permanent", _("Refused")


class DeliveryAttempt(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices, default=AttemptOutcome.STARTED)
    detail = models.CharField(max_length=500, blank=True)
    # The send failed after the provider may have accepted it, and the provider's search did not list it then:
    # the next attempt asks again before sending (a search can lag behind what the provider accepted).
    in_doubt = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["dispatch", "number"], name="attempt_number_once")]

    def __str__(self) -> str:
        return f"{self.dispatch_id} #{self.number} {self.outcome}"


class DispatchEventType(models.TextChoices):
    """What the e-mail provider reported about a message (anymail's normalized tracking events)."""

    QUEUED = "queued", _("Queued by the provider")  # accepted, not yet handed on
    SENT = "sent", _("Sent by the provider")  # handed to the receiving server
    DELIVERED = "delivered", _("Delivered")  # the receiving server accepted it
    BOUNCED = "bounced", _("Bounced")  # the receiving server refused it for good
    DEFERRED = "deferred", _("Delayed")  # a temporary refusal; the provider keeps trying
    OPENED = "opened", _("Opened")
    CLICKED = "clicked", _("Link clicked")
    COMPLAINED = "complained", _("Marked as spam")
    REJECTED = "rejected", _("Rejected by the provider")  # the provider would not send it (blocked address, …)
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    UNKNOWN = "unknown", _("Other event")  # anything else the provider reports; see the raw event


# Events that prove the provider accepted the message (it went out, whatever happened next).
ACCEPTED_EVENT_TYPES = (
    DispatchEventType.QUEUED,
    DispatchEventType.SENT,
    DispatchEventType.DELIVERED,
    DispatchEventType.BOUNCED,
    DispatchEventType.DEFERRED,
    DispatchEventType.OPENED,
    DispatchEventType.CLICKED,
    DispatchEventType.COMPLAINED,
)
# Events after which the address must not be used again until a person fixes it.
ADDRESS_FAILED_EVENT_TYPES = (DispatchEventType.BOUNCED, DispatchEventType.REJECTED, DispatchEventType.COMPLAINED)


class DispatchEvent(models.Model):
    """One tracking event of a sent message, stored once however often the provider posts it."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(_("event"), max_length=16, choices=DispatchEventType.choices)
    recipient = models.CharField(_("recipient"), max_length=320, blank=True)
    timestamp = models.DateTimeField(_("when"))
    description = models.CharField(_("description"), max_length=500, blank=True)
    esp_name = models.CharField(max_length=32, blank=True)
    # The provider's own event id, when it gives one (Postmark: bounces only).
    esp_event_id = models.CharField(max_length=200, blank=True)
    # For events without an id: a hash of the event as posted, so a re-delivered webhook is recognised.
    fingerprint = models.CharField(max_length=64)
    raw = models.JSONField(default=dict, blank=True)  # the provider's payload, trimmed
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status event")
        verbose_name_plural = _("status events")
        ordering = ["timestamp", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "esp_event_id"], condition=~Q(esp_event_id=""), name="dispatch_event_once_by_id"
            ),
            models.UniqueConstraint(
                fields=["dispatch", "fingerprint"], condition=Q(esp_event_id=""), name="dispatch_event_once_by_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispatch_id} {self.event_type} {self.recipient}"
