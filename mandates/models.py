"""SEPA mandates (agreements), their profiles and direct-debit collection batches.

A profile describes one creditor set-up (scheme, creditor identifier and account, the pain.008 version the
bank expects). A mandate is one debtor's agreement under a profile; its allowed state changes live in
mandates/states.py. Collection batches gather open invoices of customers with a signed mandate into one
pain.008 file.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from organizations.models import Organization


class Scheme(models.TextChoices):
    CORE = "CORE", _("CORE (consumers and companies)")  # SEPA Core direct debit
    B2B = "B2B", _("B2B (companies only)")  # SEPA Business-to-Business direct debit


class PainVersion(models.TextChoices):
    V02 = "pain.008.001.02", _("pain.008.001.02 (classic EPC)")
    V08 = "pain.008.001.08", _("pain.008.001.08 (ISO 2019)")


class MandateProfile(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="mandate_profiles")
    name = models.CharField(_("name"), max_length=100)
    scheme = models.CharField(_("scheme"), max_length=8, choices=Scheme.choices, default=Scheme.CORE)
    creditor_name = models.CharField(_("creditor name"), max_length=70, blank=True)
    creditor_street = models.CharField(_("street and number"), max_length=70, blank=True)
    creditor_postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    creditor_city = models.CharField(_("city"), max_length=70, blank=True)
    creditor_country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. BE"))
    creditor_id = models.CharField(_("creditor identifier"), max_length=35, blank=True)
    creditor_iban = models.CharField(_("creditor IBAN"), max_length=34, blank=True)
    creditor_bic = models.CharField(_("creditor BIC"), max_length=11, blank=True)
    reference_prefix = models.CharField(_("mandate reference prefix"), max_length=20, default="MNDT")
    pain_version = models.CharField(
        _("pain.008 version"), max_length=20, choices=PainVersion.choices, default=PainVersion.V08
    )
    use_frst = models.BooleanField(
        _("first collection as FRST"), default=True,
        help_text=_("Some banks still expect FRST for the first collection of a mandate; others take RCUR."),
    )  # fmt: skip
    # Blank: the debtor's own language.
    language = models.CharField(_("language of the mandate"), max_length=8, choices=settings.LANGUAGES, blank=True)
    remind_every_days = models.PositiveSmallIntegerField(_("remind unsigned invitations every (days)"), null=True,
                                                         blank=True)  # fmt: skip
    remind_max_times = models.PositiveSmallIntegerField(_("at most (reminders)"), default=0)
    link_valid_days = models.PositiveSmallIntegerField(_("signing link valid for (days)"), default=30)
    pre_notification_days = models.PositiveSmallIntegerField(_("pre-notification (days)"), default=14)
    collect_on_signing = models.BooleanField(
        _("move open invoices to collection when signed"), default=True,
        help_text=_("When a customer signs, their open invoices leave the follow-up plan and wait for collection."),
    )  # fmt: skip
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mandate profile")
        verbose_name_plural = _("mandate profiles")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="mandate_profile_name_per_organization")
        ]

    def __str__(self) -> str:
        return self.name


class ReferenceCounter(models.Model):
    """The organization's mandate reference sequence: it only goes up, so a reference is never reused."""

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="+")
    next_value = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.next_value}"


class MandateState(models.TextChoices):
    PREPARED = "prepared", _("Prepared")  # created, not yet sent to the debtor
    INVITED = "invited", _("Invited")  # invitation to sign sent
    OPENED = "opened", _("Opened")  # the debtor opened the signing link
    SIGNING = "signing", _("Signing started")  # the debtor began filling in the mandate
    SIGNED = "signed", _("Signed")  # valid: invoices may be collected
    CANCELLED = "cancelled", _("Cancelled")  # ended by creditor or debtor (or declined)
    SUSPENDED = "suspended", _("Suspended")  # temporarily not to be used
    EXPIRED = "expired", _("Expired")  # 36 months without a collection, or never signed in time


class SignatureMethod(models.TextChoices):
    TYPED_NAME = "typed_name", _("Signed online by typing the name")
    PAPER = "paper", _("Paper mandate")
    IMPORTED = "imported", _("Imported from another system")


class Mandate(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="mandates")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="mandates")
    profile = models.ForeignKey(MandateProfile, on_delete=models.PROTECT, related_name="mandates")
    scheme = models.CharField(_("scheme"), max_length=8, choices=Scheme.choices, default=Scheme.CORE)
    reference = models.CharField(_("mandate reference"), max_length=35)
    state = models.CharField(_("state"), max_length=16, choices=MandateState.choices, default=MandateState.PREPARED)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    # The debtor as signed.
    debtor_name = models.CharField(_("debtor name"), max_length=70, blank=True)
    debtor_street = models.CharField(_("street and number"), max_length=70, blank=True)
    debtor_postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    debtor_city = models.CharField(_("city"), max_length=70, blank=True)
    debtor_country = models.CharField(_("country"), max_length=2, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    # The signing link: /sign/<token>; the token is derived from public_id and link_version with the
    # SECRET_KEY (mandates/links.py), so the database alone cannot forge one and bumping the version revokes it.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    link_version = models.PositiveSmallIntegerField(default=1)
    link_expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    signing_started_at = models.DateTimeField(_("signing started"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    signature_method = models.CharField(_("signature method"), max_length=16, choices=SignatureMethod.choices,
                                        blank=True)  # fmt: skip
    signer_name = models.CharField(_("signed by"), max_length=200, blank=True)
    signed_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    signed_user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    # The language of the text the debtor read and signed (the signing page's language at that moment); the
    # signed PDF, the signed-copy e-mail and the page after signing use it. Blank until signed.
    signed_language = models.CharField(
        _("signed in"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the text the debtor signed; empty until signed."),
    )
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired"), null=True, blank=True)
    first_collection_at = models.DateField(_("first collection"), null=True, blank=True)
    last_collection_at = models.DateField(_("last collection"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Banks compare references case-insensitively; a reference is never reused (ReferenceCounter).
            models.UniqueConstraint(Upper("reference"), "organization", name="mandate_reference_per_organization"),
        ]
        indexes = [
            models.Index(fields=["customer", "profile", "state"], name="mandate_by_customer"),
            models.Index(fields=["organization", "profile", "state"], name="mandate_by_profile"),
            models.Index(fields=["organization", "state", "-created_at"], name="mandate_by_state"),
            models.Index(fields=["organization", "-created_at", "-id"], name="mandate_list"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.customer_id}"

    @property
    def document_language(self) -> str:
        """The language of the signed document: the one it was signed in, else the one it was prepared in."""
        return self.signed_language or self.language


class MandateDocument(models.Model):
    """The PDF of the signed mandate, kept for as long as the mandate may be relied on."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    mandate = models.OneToOneField(Mandate, on_delete=models.PROTECT, related_name="document")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.mandate_id}.pdf"


class BatchStatus(models.TextChoices):
    READY = "ready", _("Ready to download")  # built and validated against the XSD
    SUBMITTED = "submitted", _("Submitted to the bank")  # downloaded / marked as sent to the bank
    PAID = "paid", pgettext_lazy("collection batch or debit", "Paid")  # the bank collected every debit not returned
    CANCELLED = "cancelled", _("Cancelled")  # withdrawn before submission; invoices released


class CollectionBatch(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="collection_batches")
    profile = models.ForeignKey(MandateProfile, on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.READY)
    collection_date = models.DateField(_("requested collection date"))
    pain_version = models.CharField(_("pain.008 version"), max_length=20, choices=PainVersion.choices)
    message_id = models.CharField(_("message id"), max_length=35, blank=True)
    xml = models.BinaryField(blank=True)
    xml_sha256 = models.CharField(max_length=64, blank=True)
    total_amount = models.DecimalField(_("total"), max_digits=16, decimal_places=2, default=0)
    item_count = models.PositiveIntegerField(_("debits"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # What staff chose when creating it: invoices due after the collection date come along only on request.
    include_not_yet_due = models.BooleanField(_("includes invoices not yet due"), default=False)
    excluded_count = models.PositiveIntegerField(_("debits excluded before creating"), default=0)
    # Previewed invoices no longer collectable when the batch was created: [{"invoice", "number", "reason"}].
    dropped_invoices = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("collection batch")
        verbose_name_plural = _("collection batches")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "status", "-created_at"], name="batch_by_status")]

    def __str__(self) -> str:
        return f"{self.profile} · {self.collection_date}"


class DebitStatus(models.TextChoices):
    REQUESTED = "requested", _("Collection requested")
    PAID = "paid", pgettext_lazy("collection batch or debit", "Paid")
    RETURNED = "returned", _("Returned")  # rejected, returned or refunded; see the reason code
    CANCELLED = "cancelled", _("Cancelled")  # the batch was cancelled before it went to the bank


class CollectionItem(models.Model):
    """One debit in a batch: one invoice of a customer with a signed mandate."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(CollectionBatch, on_delete=models.PROTECT, related_name="items")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="collection_items")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="collection_items")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35)
    sequence_type = models.CharField(_("sequence type"), max_length=4)
    status = models.CharField(_("status"), max_length=16, choices=DebitStatus.choices, default=DebitStatus.REQUESTED)
    return_reason = models.CharField(_("return reason code"), max_length=4, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)

    class Meta:
        verbose_name = _("debit")
        verbose_name_plural = _("debits")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "end_to_end_id"], name="debit_end_to_end_id_once"),
            # An invoice is in at most one batch that is still requested.
            models.UniqueConstraint(fields=["invoice"], condition=Q(status="requested"), name="debit_invoice_once"),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id
