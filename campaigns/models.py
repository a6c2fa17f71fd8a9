"""Campaigns: a batch of invitations to sign a mandate under one profile, followed as a funnel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from mandates.models import Mandate, MandateProfile
from organizations.models import Organization


class CampaignStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("campaign", "Open")  # invitations can be added and reminded
    CLOSED = "closed", _("Closed")  # finished; kept for its history


class Campaign(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=150)
    profile = models.ForeignKey(MandateProfile, on_delete=models.PROTECT, related_name="campaigns",
                                verbose_name=_("mandate profile"))  # fmt: skip
    status = models.CharField(_("status"), max_length=8, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="campaign_name_per_organization")]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """One customer invited in a campaign; the funnel state comes from its mandate and e-mail events."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invitations")
    mandate = models.OneToOneField(Mandate, on_delete=models.PROTECT, related_name="invitation")
    # Why no e-mail went out (no valid address, …); empty when it did.
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    email_bounced_at = models.DateTimeField(_("e-mail bounced"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    next_reminder_at = models.DateTimeField(_("next reminder"), null=True, blank=True)
    last_action_at = models.DateTimeField(_("last action"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="invitation_once_per_campaign"),
        ]
        indexes = [
            models.Index(fields=["organization", "campaign", "-last_action_at"], name="invitation_by_campaign"),
            models.Index(fields=["organization", "campaign", "id"], name="invitation_in_order"),
            models.Index(fields=["next_reminder_at"], name="invitation_reminder_due"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"
