"""Tenancy: Tenant (the subscribing company) -> Organization (a creditor) -> everything else."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((name, name) for name in zoneinfo.available_timezones() if "/" in name)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in; identified by e-mail address."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Tenant(models.Model):
    """A subscribing company. It never sees another tenant's data."""

    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class PaymentReferenceFormat(models.TextChoices):
    AUTO = "auto", _("By country (structured communication in Belgium, RF elsewhere)")  # chosen by `country`
    STRUCTURED = "structured", _("Belgian structured communication (+++123/4567/89002+++)")  # OGM/VCS, MOD 97
    CREDITOR = "rf", _("International creditor reference (RF, ISO 11649)")  # RF + 2 check digits + reference
    NONE = "none", _("None")  # invoices get no payment reference


class Organization(models.Model):
    """A legal entity (creditor) inside a tenant, with its own customers, templates and integrations."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="organizations")
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. BE"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Brussels", validators=[validate_time_zone]
    )
    default_language = models.CharField(_("default language"), max_length=8, choices=settings.LANGUAGES, default="en")
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sender_email = models.EmailField(_("sender e-mail"), blank=True)
    # When someone proved they read `sender_email` (the link we mailed there); empty: not verified, so
    # messages go From the platform address in the organization's name. Changing the address clears it.
    sender_email_verified_at = models.DateTimeField(_("sender e-mail verified"), null=True, blank=True)
    reply_to_email = models.EmailField(_("reply-to e-mail"), blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    address = models.TextField(_("address"), blank=True)
    # Which payment reference new invoices get (invoices.references); debtors quote it with their transfer.
    payment_reference_format = models.CharField(
        _("payment reference"),
        max_length=16,
        choices=PaymentReferenceFormat.choices,
        default=PaymentReferenceFormat.AUTO,
    )
    # Owners must log in with a code from an authenticator app (organizations/two_factor.py).
    require_two_factor_for_owners = models.BooleanField(
        _("require two-factor login for owners"),
        default=False,
        help_text=_("Owners without an authenticator app are asked to set one up before they can continue."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def reference_format(self) -> str:
        """The payment reference format in effect: `structured`, `rf` or `none` (AUTO resolved by country)."""
        if self.payment_reference_format != PaymentReferenceFormat.AUTO:
            return self.payment_reference_format
        return PaymentReferenceFormat.STRUCTURED if self.country.upper() == "BE" else PaymentReferenceFormat.CREDITOR


class BankAccount(models.Model):
    """An account of the organization that debtors pay into: one IBAN per currency it is used for.

    Messages and invoice pages show the default account of the invoice's currency (the EPC QR code only
    for euro). The BIC may stay empty inside the EEA (EPC069-12 version 002).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="bank_accounts")
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    # The beneficiary name debtors see (max 70 characters in the EPC QR code); empty: the organization's name.
    holder_name = models.CharField(_("account holder"), max_length=70, blank=True)
    is_default = models.BooleanField(_("default for this currency"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["currency", "-is_default", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "currency", "iban"], name="bank_account_once_per_currency"),
            models.UniqueConstraint(
                fields=["organization", "currency"],
                condition=models.Q(is_default=True),
                name="bank_account_one_default_per_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iban_display} ({self.currency})"

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of four, as printed on paper: BE71 0961 2345 6769."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))

    @property
    def beneficiary(self) -> str:
        return (self.holder_name or self.organization.name)[:70]


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")  # everything, including members and the tenant itself
    ADMIN = "admin", _("Admin")  # configuration (API keys, templates, integrations) and finance work
    MEMBER = "member", _("Member")  # finance work on customers, invoices and follow-up


class Membership(models.Model):
    """A user's place in a tenant: role, account-manager status and which organizations they reach."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_account_manager = models.BooleanField(_("account manager"), default=False)
    all_organizations = models.BooleanField(_("access to all organizations"), default=True)
    organizations = models.ManyToManyField(
        Organization, blank=True, related_name="memberships", verbose_name=_("organizations")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_once_per_tenant")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.get_role_display()})"

    @property
    def can_configure(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read only")  # GET, HEAD and OPTIONS
    READ_WRITE = "read_write", _("Read and write")  # every method


class ApiKey(models.Model):
    """A secret for integrators, bound to one organization. Only its SHA-256 hash is stored."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    hashed_secret = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=16, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.READ_WRITE


class ActorType(models.TextChoices):
    USER = "user", _("User")  # a member, in the browser or through the API with a session
    API_KEY = "api_key", _("API key")  # an integration
    CUSTOMER = "customer", _("Customer")  # a debtor acting through a public link or the portal
    SYSTEM = "system", _("System")  # the scheduler, imports and other background work


class ActivityLog(models.Model):
    """Who did what to which record, when. Timelines and audit trails read this table."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="activity")
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    # The customer the entry concerns (the subject itself, or its customer: an invoice's, a mandate's),
    # so a customer's timeline is one indexed query. A plain id: this app sits below customers.
    related_customer_id = models.PositiveBigIntegerField(null=True, blank=True)
    code = models.CharField(_("action"), max_length=64)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices, default=ActorType.SYSTEM)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "subject_type", "subject_id", "-created_at"], name="activity_subject"),
            models.Index(fields=["organization", "-created_at"], name="activity_recent"),
            models.Index(fields=["organization", "related_customer_id", "-created_at"], name="activity_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.code} by {self.actor_label or self.actor_type}"

    def describe(self) -> str:
        """The entry as a sentence in the active language (organizations/activity.py)."""
        from organizations.activity import describe

        return describe(self.code, self.data, currency=self.currency())

    def details(self) -> str:
        from organizations.activity import summarize

        return summarize(self.code, self.data, currency=self.currency())

    def currency(self) -> str:
        """Amounts in the data are in the subject's currency (an invoice's), else the organization's."""
        if self.data.get("currency"):
            return self.data["currency"]
        subject = self.subject if ActivityLog.subject.is_cached(self) else None
        if currency := getattr(subject, "currency", None):
            return currency
        if ActivityLog.organization.is_cached(self):
            return self.organization.currency
        return "EUR"


class IdempotencyStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")  # the first request holds the key and is doing the work
    COMPLETED = "completed", _("Completed")  # the response is stored; a retry gets it back


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` an API client sent with a POST, kept 24 hours, with the response to replay.

    Scoped per organization and principal (the API key, or the user of a session): the same key string of
    another client or another tenant is another record. Claimed in progress (committed first), then completed
    in the same transaction as the work, so a retry never repeats work that committed.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    principal = models.CharField(max_length=40)  # "api_key:<id>" or "user:<id>"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status = models.CharField(max_length=16, choices=IdempotencyStatus.choices, default=IdempotencyStatus.IN_PROGRESS)
    lease = models.UUIDField()  # which request holds an in-progress key; completing checks it
    locked_at = models.DateTimeField()  # when that request claimed it; an abandoned claim is taken over later
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "principal", "key"], name="idempotency_key_per_principal")
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key} ({self.status})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # sent, not yet accepted; the link works until it expires
    ACCEPTED = "accepted", _("Accepted")  # the invitee joined; the link no longer works
    REVOKED = "revoked", _("Revoked")  # withdrawn by an owner or admin; the link no longer works


class MemberInvitation(models.Model):
    """An invitation to join the tenant by e-mail, with the role and access the membership will have.

    The link carries a random token of 256 bits; only its SHA-256 hash is stored. Resending replaces the
    token (the earlier link stops working) and the expiry. It works once: accepting sets `accepted_at`.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="invitations")
    # Where it was issued: its activity entries and the sender name of the mail.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="member_invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_account_manager = models.BooleanField(_("account manager"), default=False)
    all_organizations = models.BooleanField(_("access to all organizations"), default=True)
    organizations = models.ManyToManyField(Organization, blank=True, related_name="+", verbose_name=_("organizations"))
    status = models.CharField(
        _("status"), max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"))
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("member invitation")
        verbose_name_plural = _("member invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "email"],
                condition=models.Q(status="pending"),
                name="member_invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_status_display()})"
