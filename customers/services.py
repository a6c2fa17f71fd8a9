"""Writes for customers and contacts. Every change leaves an activity entry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from customers.models import Contact, Customer, EmailStatus
from organizations.models import Membership, Organization
from organizations.services import Actor, log_action

CUSTOMER_FIELDS = (
    "external_ref",
    "name",
    "type",
    "language",
    "vat_number",
    "street",
    "postal_code",
    "city",
    "country",
    "account_manager",
    "communication_preference",
    "notes",
)
CONTACT_FIELDS = ("name", "email", "phone", "notify")


def email_status_for(email: str) -> str:
    """Syntax check only; bounces are recorded separately by `contact_mark_email_bounced`."""
    if not email.strip():
        return EmailStatus.NONE
    try:
        validate_email(email.strip())
    except ValidationError:
        return EmailStatus.INVALID
    return EmailStatus.VALID


def _changes(instance, data: dict[str, Any]) -> dict[str, list[Any]]:
    changed = {}
    for field, value in data.items():
        old = getattr(instance, field)
        if old != value:
            changed[field] = [_plain(old), _plain(value)]
            setattr(instance, field, value)
    return changed


def _plain(value: Any) -> Any:
    if isinstance(value, Membership):
        return str(value.user)
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _check_account_manager(organization: Organization, manager: Membership | None) -> None:
    if manager is not None and manager.tenant_id != organization.tenant_id:
        raise ValidationError(
            {"account_manager": "The account manager must be a member of this organization."}
        )


@transaction.atomic
def customer_create(*, organization: Organization, actor: Actor = None, **data: Any) -> Customer:
    fields = {key: value for key, value in data.items() if key in CUSTOMER_FIELDS}
    _check_account_manager(organization, fields.get("account_manager"))
    customer = Customer.objects.create(organization=organization, **fields)
    log_action(
        organization=organization,
        subject=customer,
        code="customer.created",
        actor=actor,
        data={"name": customer.name},
    )
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor: Actor = None, **data: Any) -> Customer:
    fields = {key: value for key, value in data.items() if key in CUSTOMER_FIELDS}
    _check_account_manager(customer.organization, fields.get("account_manager"))
    changed = _changes(customer, fields)
    if changed:
        customer.save()
        log_action(
            organization=customer.organization,
            subject=customer,
            code="customer.updated",
            actor=actor,
            data={"changes": changed},
        )
    return customer


@transaction.atomic
def contact_create(*, customer: Customer, actor: Actor = None, **data: Any) -> Contact:
    fields = {key: value for key, value in data.items() if key in CONTACT_FIELDS}
    fields["email"] = fields.get("email", "").strip()
    contact = Contact.objects.create(
        organization=customer.organization,
        customer=customer,
        email_status=email_status_for(fields["email"]),
        **fields,
    )
    log_action(
        organization=customer.organization,
        subject=customer,
        code="contact.created",
        actor=actor,
        data={"contact": str(contact), "email": contact.email, "notify": contact.notify},
    )
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor: Actor = None, **data: Any) -> Contact:
    fields = {key: value for key, value in data.items() if key in CONTACT_FIELDS}
    if "email" in fields:
        fields["email"] = fields["email"].strip()
    changed = _changes(contact, fields)
    if "email" in changed:
        contact.email_status = email_status_for(contact.email)
        contact.email_status_detail = ""
    if changed:
        contact.save()
        log_action(
            organization=contact.organization,
            subject=contact.customer,
            code="contact.updated",
            actor=actor,
            data={"contact": str(contact), "changes": changed},
        )
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor: Actor = None) -> None:
    log_action(
        organization=contact.organization,
        subject=contact.customer,
        code="contact.deleted",
        actor=actor,
        data={"contact": str(contact), "email": contact.email},
    )
    contact.delete()


@transaction.atomic
def contact_mark_email_bounced(*, contact: Contact, detail: str, actor: Actor = None) -> Contact:
    """A hard bounce or complaint: the address stops receiving messages until someone fixes it."""
    contact.email_status = EmailStatus.BOUNCED
    contact.email_status_detail = detail[:300]
    contact.save(update_fields=["email_status", "email_status_detail"])
    log_action(
        organization=contact.organization,
        subject=contact.customer,
        code="contact.email_bounced",
        actor=actor,
        data={"email": contact.email, "detail": detail[:300]},
    )
    return contact
