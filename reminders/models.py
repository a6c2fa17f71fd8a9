"""Follow-up (dunning) plans.

This first cut is the plan itself, so customers can be assigned and filtered by plan; steps, message
templates, the outbox and the scheduler arrive with the follow-up issue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class FollowUpPlan(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="follow_up_plans")
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(
        _("default plan"), default=False, help_text=_("Applies to customers without a plan of their own.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="follow_up_plan_name_per_organization"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="one_default_follow_up_plan"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplatePurpose(models.TextChoices):
    PRE_DUE = "pre_due", _("Friendly reminder before the due date")
    REMINDER_1 = "reminder_1", _("First reminder")
    REMINDER_2 = "reminder_2", _("Second reminder")
    FINAL_NOTICE = "final_notice", _("Final notice")
    INVOICE = "invoice", _("Invoice")
    MANDATE_INVITATION = "mandate_invitation", _("Mandate invitation")
    PAYMENT_PLAN = "payment_plan", _("Payment plan")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")  # sent through the e-mail provider
    LETTER = "letter", _("Letter by post")  # printed and posted (postal integration)
    SMS = "sms", _("SMS")  # text message


class MessageTemplate(models.Model):
    """An organization's own text for a purpose and language; without one, the system default applies."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="message_templates")
    purpose = models.CharField(_("purpose"), max_length=32, choices=TemplatePurpose.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    channel = models.CharField(_("default channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
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
