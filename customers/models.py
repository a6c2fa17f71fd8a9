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
    type = models.CharField(_("type"), max_length=16, choices=CustomerType.choices, default=CustomerType.COMPANY)
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
    # Plans live in the reminders app; referenced by name so this app imports nothing above it.
    follow_up_plan = models.ForeignKey(
        "reminders.FollowUpPlan",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("follow-up plan"),
        help_text=_("Empty: the organization's default plan applies."),
    )
    follow_up_paused_until = models.DateField(_("follow-up paused until"), null=True, blank=True)
    follow_up_paused_reason = models.CharField(_("reason for the pause"), max_length=300, blank=True)
    # Kept up to date by the services that change invoices and contacts (customers.stats), so that
    # filters and sorting on 200,000 customers read columns instead of aggregating a million invoices.
    open_balance = models.DecimalField(_("open balance"), max_digits=16, decimal_places=2, default=0)
    invoice_count = models.PositiveIntegerField(_("invoices"), default=0)
    oldest_open_due_date = models.DateField(_("oldest open due date"), null=True, blank=True)
    has_valid_email = models.BooleanField(_("valid e-mail"), default=False)
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
        indexes = [
            models.Index(fields=["organization", "name", "id"], name="customer_by_name"),
            models.Index(fields=["organization", "open_balance"], name="customer_by_balance"),
            models.Index(fields=["organization", "oldest_open_due_date"], name="customer_by_oldest_due"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address_lines(self) -> list[str]:
        locality = " ".join(part for part in (self.postal_code, self.city) if part)
        return [line for line in (self.street, locality, self.country) if line]


class CustomerBalance(models.Model):
    """What a customer owes in one currency (open and disputed invoices), one row per currency owed.

    `Customer.open_balance` holds the organization's currency for filters and sorting; these rows let pages
    show every currency apart, never added together. Kept by `customers.stats` with the other figures.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="balances")
    currency = models.CharField(_("currency"), max_length=3)
    open_amount = models.DecimalField(_("open amount"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("customer balance")
        verbose_name_plural = _("customer balances")
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "customer", "currency"], name="customer_balance_per_currency"
            ),
        ]
        indexes = [models.Index(fields=["organization", "currency", "open_amount"], name="balance_by_currency")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.currency} {self.open_amount}"


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


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # waiting for a worker
    RUNNING = "running", _("Running")  # a worker is going through the customers
    DONE = "done", _("Done")  # every selected customer was handled (some may have failed)
    FAILED = "failed", _("Failed")  # the job stopped on an unexpected error; see the summary


class BulkJob(models.Model):
    """A bulk action over a selection of customers, run in the background with progress.

    The selection is stored as given: a list of ids, or the filter's query string (so "all 1,234
    customers matching this filter" means the filter at run time, re-scoped to the organization).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bulk_jobs")
    action = models.CharField(_("action"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    selected_ids = models.JSONField(default=list, blank=True)
    selected_filter = models.TextField(blank=True)
    select_all = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=16, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED)
    total = models.PositiveIntegerField(_("total"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    succeeded = models.PositiveIntegerField(_("succeeded"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # Resume point: customers are handled in id order, so a restarted job continues after this id.
    last_customer_id = models.PositiveBigIntegerField(default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="bulk_job_by_status")]

    def __str__(self) -> str:
        return f"{self.action} ({self.processed}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.processed / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in (BulkJobStatus.DONE, BulkJobStatus.FAILED)
