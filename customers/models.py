"""Customers (debtors) of an organization and the contacts that receive its messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import Membership, Organization


class CustomerType(models.TextChoices):
    COMPANY = "company", _("Company")  # a business; may sign B2B mandates
    PERSON = "person", _("Person")  # a consumer


class CommunicationPreference(models.TextChoices):
    DEFAULT = "default", _("As the template says")  # each message template's default channel
    EMAIL = "email", _("E-mail")  # always by e-mail
    POST = "post", _("Post")  # always by postal letter
    SMS = "sms", _("SMS")  # text messages where the step allows


class Customer(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="customers")
    external_ref = models.CharField(
        _("external reference"),
        max_length=64,
        blank=True,
        help_text=_("The customer's number in your accounting system."),
    )
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(
        _("type"), max_length=16, choices=CustomerType.choices, default=CustomerType.COMPANY
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. BE"))
    account_manager = models.ForeignKey(
        Membership,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portfolio",
        verbose_name=_("account manager"),
    )
    communication_preference = models.CharField(
        _("communication preference"),
        max_length=16,
        choices=CommunicationPreference.choices,
        default=CommunicationPreference.DEFAULT,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_ref"],
                condition=~Q(external_ref=""),
                name="customer_external_ref_per_organization",
            ),
        ]
        indexes = [models.Index(fields=["organization", "name", "id"], name="customer_by_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def address_lines(self) -> list[str]:
        locality = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.street, locality, self.country) if line]


class EmailStatus(models.TextChoices):
    NONE = "none", _("No address")  # the contact has no e-mail address
    VALID = "valid", _("Valid")  # syntactically valid and not bounced
    INVALID = "invalid", _("Invalid")  # not a syntactically valid address
    BOUNCED = "bounced", _("Bounced")  # the provider reported a hard bounce or complaint


class Contact(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="contacts")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Not an EmailField: imported addresses are kept as given so their problems can be shown and fixed.
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    notify = models.BooleanField(_("receives messages"), default=True)
    email_status = models.CharField(
        _("e-mail status"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_status_detail = models.CharField(_("e-mail status detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["id"]
        indexes = [models.Index(fields=["organization", "email"], name="contact_by_email")]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or str(self.pk)
