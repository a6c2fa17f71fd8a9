"""The organization's own sender address: prove it reads the mailbox before mail goes out From it.

The owner or an admin sets `sender_email`; Collect mails a link to that address. The link carries a signed,
single-purpose token (its own salt) naming the organization and the address, valid for a few days. Opening
it and confirming marks the address verified. Until then messages go From the platform address in the
organization's name, with Reply-To the organization (messaging/delivery.py `from_email`). Changing the
address clears the verification, and a link for an earlier address no longer works.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from organizations.models import Organization
from organizations.services import Actor, log_action

SALT = "collect.organizations.sender-verification"
LINK_VALID = timedelta(days=3)


class SenderVerificationError(Exception):
    """The link cannot verify anything: forged, expired, or for an address no longer in use."""


def sender_is_verified(organization: Organization) -> bool:
    return bool(organization.sender_email and organization.sender_email_verified_at)


def verification_token(organization: Organization) -> str:
    payload = {"organization": organization.pk, "email": organization.sender_email.lower()}
    return signing.dumps(payload, salt=SALT)


def verification_url(organization: Organization) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("sender-verify", args=[verification_token(organization)])


def organization_sender_email_changed(*, organization: Organization, previous: str, actor: Actor) -> None:
    """After the address changed (organization page): it is unverified, and a new link goes to it."""
    if previous.lower() == organization.sender_email.lower():
        return
    if organization.sender_email_verified_at:
        log_action(organization=organization, subject=organization, code="organization.sender_verification_reset",
                   actor=actor, data={"email": previous})  # fmt: skip
    Organization.objects.filter(pk=organization.pk).update(sender_email_verified_at=None)
    organization.sender_email_verified_at = None
    if organization.sender_email:
        organization_sender_verification_send(organization=organization, actor=actor)


def organization_sender_verification_send(*, organization: Organization, actor: Actor) -> None:
    """Mail the verification link to the sender address, from the platform (a system mail, not the outbox)."""
    if not organization.sender_email or sender_is_verified(organization):
        return
    with override(organization.default_language):
        subject = _("Confirm %(email)s as the sender address of %(organization)s") % {
            "email": organization.sender_email, "organization": organization.name}  # fmt: skip
        body = _(
            "Hello,\n\nSomeone at %(organization)s asked Collect to send payment reminders from this address.\n"
            "To confirm that this mailbox belongs to %(organization)s, open this link within %(days)s days:\n\n"
            "%(link)s\n\nIf you did not expect this message, ignore it: nothing will be sent from this address."
        ) % {"organization": organization.name, "days": LINK_VALID.days, "link": verification_url(organization)}
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                           to=[organization.sender_email])  # fmt: skip
    message.metadata = {"organization_id": organization.pk, "purpose": "sender_verification"}
    message.send()
    log_action(organization=organization, subject=organization, code="organization.sender_verification_sent",
               actor=actor, data={"email": organization.sender_email})  # fmt: skip


def organization_for_token(*, token: str) -> Organization:
    """The organization whose current sender address this link verifies; SenderVerificationError otherwise."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_VALID)
    except signing.SignatureExpired as error:
        expired = _("This link has expired. Ask for a new one on the organization page.")
        raise SenderVerificationError(expired) from error
    except signing.BadSignature as error:
        raise SenderVerificationError(_("This link is not valid.")) from error
    organization = Organization.objects.filter(pk=payload.get("organization")).first()
    if organization is None or organization.sender_email.lower() != str(payload.get("email", "")):
        raise SenderVerificationError(_("This link is for an address that is no longer the sender address."))
    return organization


def organization_sender_verify(*, token: str) -> Organization:
    """Mark the sender address verified (once; a second click changes nothing)."""
    organization = organization_for_token(token=token)
    if organization.sender_email_verified_at is None:
        now = timezone.now()
        updated = Organization.objects.filter(
            pk=organization.pk, sender_email=organization.sender_email, sender_email_verified_at=None
        ).update(sender_email_verified_at=now)
        if updated:
            organization.sender_email_verified_at = now
            log_action(organization=organization, subject=organization, code="organization.sender_verified",
                       data={"email": organization.sender_email})  # fmt: skip
    return organization
