"""Staff notes on customers and invoices, with @mentions that notify members by e-mail.

A mention is `@` followed by a member's e-mail address (`@anna@acme.example`) or the part before its `@`
(`@anna`) when only one member of the organization has it. Each mentioned member (never the author) gets an
e-mail with the note and a link to the customer or invoice, sent like the other account e-mails (a plain
`EmailMessage` from the platform address, listed in Outgoing mail); the note keeps who was mentioned.
The note is also an activity entry (`note.added`), so it shows on the customer's and the invoice's timeline.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from customers.models import Customer
from invoices.models import Invoice, Note
from organizations.models import Membership, Organization
from organizations.selectors import members_list
from organizations.services import Actor, log_action

MAX_LENGTH = 5000
MENTION = re.compile(r"(?<![\w.+-])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def mentioned_members(*, organization: Organization, body: str) -> list[Membership]:
    """The members of the organization that the text names with @, each once, in the order they appear."""
    handles = [handle.rstrip(".").lower() for handle in MENTION.findall(body)]
    if not handles:
        return []
    members = list(members_list(organization=organization))
    by_email = {member.user.email.lower(): member for member in members}
    by_local: dict[str, list[Membership]] = {}
    for member in members:
        by_local.setdefault(member.user.email.lower().split("@")[0], []).append(member)
    found: dict[int, Membership] = {}
    for handle in handles:
        member = by_email.get(handle)
        if member is None and len(by_local.get(handle, [])) == 1:
            member = by_local[handle][0]
        if member is not None:
            found.setdefault(member.pk, member)
    return list(found.values())


def note_add(
    *,
    organization: Organization,
    body: str,
    actor: Actor,
    customer: Customer | None = None,
    invoice: Invoice | None = None,
) -> Note:
    """A note on `invoice` (its customer's too) or on `customer`; mentioned members are told by e-mail."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write the note first.")]})
    if len(body) > MAX_LENGTH:
        raise ValidationError({"body": [_("A note holds at most %(count)d characters.") % {"count": MAX_LENGTH}]})
    if invoice is not None:
        customer = invoice.customer
    if customer is None or customer.organization_id != organization.pk:
        raise ValidationError(_("Choose a customer or an invoice of this organization."))
    mentions = mentioned_members(organization=organization, body=body)
    author = actor if isinstance(actor, AbstractBaseUser) else None
    with transaction.atomic():
        note = Note.objects.create(
            organization=organization,
            customer=customer,
            invoice=invoice,
            body=body,
            author=author,
            author_label=str(getattr(actor, "name", None) or actor or ""),
        )
        note.mentions.set(mentions)
        data = {"note": body[:1000], "note_id": note.pk, "mentioned": [str(member.user) for member in mentions]}
        if invoice is not None:
            data["number"] = invoice.number
        log_action(organization=organization, subject=invoice or customer, code="note.added", actor=actor, data=data)
    for member in mentions:
        if author is None or member.user_id != author.pk:
            _mention_mail(note=note, member=member, organization=organization)
    return note


def _mention_mail(*, note: Note, member: Membership, organization: Organization) -> None:
    user = member.user
    if note.invoice_id:
        path = reverse("invoices:detail", args=[organization.slug, note.invoice_id])
    else:
        path = reverse("customers:detail", args=[organization.slug, note.customer_id])
    with override(user.language or organization.default_language):
        about = note.customer.name
        if note.invoice_id:
            about = _("invoice %(number)s of %(customer)s") % {"number": note.invoice.number, "customer": about}
        subject = _("%(author)s mentioned you in a note on %(about)s") % {
            "author": note.author_label or organization.name,
            "about": about,
        }
        body = _("%(author)s wrote in %(organization)s:\n\n%(note)s\n\nOpen it: %(link)s") % {
            "author": note.author_label or organization.name,
            "organization": organization.name,
            "note": note.body,
            "link": settings.SITE_URL.rstrip("/") + path,
        }
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email])
    message.metadata = {"organization_id": organization.pk, "purpose": "note_mention"}
    message.send()
