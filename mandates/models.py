"""SEPA mandates (agreements) and their profiles.

This first cut holds what the customer filters need (profile, scheme, state); the signing flow,
creditor details, references and collection arrive with the SEPA mandates issue.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from organizations.models import Organization


class Scheme(models.TextChoices):
    CORE = "CORE", _("CORE (consumers and companies)")  # SEPA Core direct debit
    B2B = "B2B", _("B2B (companies only)")  # SEPA Business-to-Business direct debit


class MandateProfile(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="mandate_profiles")
    name = models.CharField(_("name"), max_length=100)
    scheme = models.CharField(_("scheme"), max_length=8, choices=Scheme.choices, default=Scheme.CORE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mandate profile")
        verbose_name_plural = _("mandate profiles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="mandate_profile_name_per_organization")
        ]

    def __str__(self) -> str:
        return self.name


class MandateState(models.TextChoices):
    PREPARED = "prepared", _("Prepared")  # created, not yet sent to the debtor
    INVITED = "invited", _("Invited")  # invitation to sign sent
    OPENED = "opened", _("Opened")  # the debtor opened the signing link
    SIGNING = "signing", _("Signing started")  # the debtor began filling in the mandate
    SIGNED = "signed", _("Signed")  # valid: invoices may be collected
    CANCELLED = "cancelled", _("Cancelled")  # ended by creditor or debtor
    SUSPENDED = "suspended", _("Suspended")  # temporarily not to be used
    EXPIRED = "expired", _("Expired")  # 36 months without a collection, or the link expired


class Mandate(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="mandates")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="mandates")
    profile = models.ForeignKey(MandateProfile, on_delete=models.PROTECT, related_name="mandates")
    state = models.CharField(_("state"), max_length=16, choices=MandateState.choices, default=MandateState.PREPARED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "profile", "state"], name="mandate_by_customer"),
            models.Index(fields=["organization", "profile", "state"], name="mandate_by_profile"),
        ]

    def __str__(self) -> str:
        return f"{self.profile} · {self.customer} ({self.get_state_display()})"
