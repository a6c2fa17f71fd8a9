"""Writes for customers and contacts. Every change leaves an activity entry."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils.translation import gettext as _

from customers.models import Contact, Customer, EmailStatus
from customers.signals import customers_changed
from customers.stats import customers_refresh_stats
from organizations.models import Membership, Organization
from organizations.services import Actor, log_action, log_actions_bulk, log_actions_many

# The fields people and integrations edit on a customer; the form and the API serializer use this list.
CUSTOMER_FIELDS = (
    "name",
    "external_ref",
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
    "follow_up_plan",
)
FOLLOW_UP_FIELDS = {"follow_up_plan", "country", "language"}
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
    if isinstance(value, models.Model):
        return str(value)
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _check_relations(organization: Organization, fields: dict[str, Any]) -> None:
    manager: Membership | None = fields.get("account_manager")
    if manager is not None and manager.tenant_id != organization.tenant_id:
        raise ValidationError({"account_manager": _("The account manager must be a member of this organization.")})
    plan = fields.get("follow_up_plan")
    if plan is not None and plan.organization_id != organization.pk:
        raise ValidationError({"follow_up_plan": _("This follow-up plan belongs to another organization.")})


def customer_check(*, organization: Organization, fields: dict[str, Any]) -> None:
    """What `customer_create` refuses in these fields (a member or plan of another organization)."""
    _check_relations(organization, {key: value for key, value in fields.items() if key in CUSTOMER_FIELDS})


@transaction.atomic
def customer_create(*, organization: Organization, actor: Actor = None, **data: Any) -> Customer:
    fields = {key: value for key, value in data.items() if key in CUSTOMER_FIELDS}
    _check_relations(organization, fields)
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
def customers_create_many(
    *, organization: Organization, rows: list[tuple[dict[str, Any], list[dict[str, Any]]]], actor: Actor = None
) -> list[Customer]:
    """Many new customers, each with its contacts: (customer fields, [contact fields]) per row (an import).

    The same checks, defaults and activity entries as `customer_create` and `contact_create`, in a few statements
    for the whole list instead of several per customer. The caller refreshes the customers' figures.
    """
    customers = []
    for data, _contacts in rows:
        fields = {key: value for key, value in data.items() if key in CUSTOMER_FIELDS}
        _check_relations(organization, fields)
        customers.append(Customer(organization=organization, **fields))
    Customer.objects.bulk_create(customers, batch_size=1000)
    contacts = []
    for customer, (_data, contact_rows) in zip(customers, rows, strict=True):
        for data in contact_rows:
            fields = {key: value for key, value in data.items() if key in CONTACT_FIELDS}
            fields["email"] = fields.get("email", "").strip()
            contacts.append(Contact(organization=organization, customer=customer,
                                    email_status=email_status_for(fields["email"]), **fields))  # fmt: skip
    Contact.objects.bulk_create(contacts, batch_size=1000)
    entries = [{"organization": organization, "subject": customer, "code": "customer.created", "actor": actor,
                "data": {"name": customer.name}} for customer in customers]  # fmt: skip
    entries += [{"organization": organization, "subject": contact.customer, "code": "contact.created", "actor": actor,
                 "data": {"contact": str(contact), "email": contact.email, "notify": contact.notify}}
                for contact in contacts]  # fmt: skip
    log_actions_many(entries)
    return customers


@transaction.atomic
def customer_update(*, customer: Customer, actor: Actor = None, **data: Any) -> Customer:
    fields = {key: value for key, value in data.items() if key in CUSTOMER_FIELDS}
    _check_relations(customer.organization, fields)
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
        if changed.keys() & FOLLOW_UP_FIELDS:
            customers_changed.send(sender=Customer, customer_ids=[customer.pk])
    return customer


@transaction.atomic
def customer_pause_follow_up(*, customer: Customer, until, reason: str = "", actor: Actor = None) -> Customer:
    """Hold every automatic message to this customer until (and including) `until`; None resumes."""
    customer.follow_up_paused_until = until
    customer.follow_up_paused_reason = reason[:300] if until else ""
    customer.save(update_fields=["follow_up_paused_until", "follow_up_paused_reason", "updated_at"])
    code = "customer.follow_up_paused" if until else "customer.follow_up_resumed"
    log_action(organization=customer.organization, subject=customer, code=code, actor=actor,
               data={"until": until.isoformat() if until else None, "reason": reason})  # fmt: skip
    customers_changed.send(sender=Customer, customer_ids=[customer.pk])
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
    customers_refresh_stats(customer_ids=[customer.pk])
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
    customers_refresh_stats(customer_ids=[contact.customer_id])
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
    customer_id = contact.customer_id
    contact.delete()
    customers_refresh_stats(customer_ids=[customer_id])


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
    customers_refresh_stats(customer_ids=[contact.customer_id])
    return contact


def _assign_in_bulk(
    *, organization: Organization, customer_ids: list[int], field: str, value, code: str, actor: Actor
) -> int:
    """Set one field on many customers with one UPDATE, logging only those that actually change."""
    changing = list(
        Customer.objects.filter(organization=organization, pk__in=customer_ids)
        .exclude(**{f"{field}_id": getattr(value, "pk", None)} if value else {f"{field}__isnull": True})
        .only("pk", "organization_id")
    )
    if not changing:
        return 0
    Customer.objects.filter(pk__in=[c.pk for c in changing]).update(**{field: value})
    log_actions_bulk(
        organization=organization,
        subjects=changing,
        code=code,
        actor=actor,
        data={field: _label(value) if value else None},
    )
    return len(changing)


def _label(value) -> str:
    """How a person reads the assigned value on a timeline: a member by name, a plan by its name."""
    user = getattr(value, "user", None)
    if user is not None:
        return user.get_full_name() or user.email
    return str(value)


@transaction.atomic
def customers_assign_account_manager(
    *, organization: Organization, customer_ids: list[int], manager: Membership | None, actor: Actor = None
) -> int:
    _check_relations(organization, {"account_manager": manager})
    return _assign_in_bulk(
        organization=organization, customer_ids=customer_ids, field="account_manager", value=manager,
        code="customer.account_manager_assigned", actor=actor,
    )  # fmt: skip


@transaction.atomic
def customers_assign_follow_up_plan(
    *, organization: Organization, customer_ids: list[int], plan, actor: Actor = None
) -> int:
    """`plan` None puts the customers back on the organization's default plan."""
    _check_relations(organization, {"follow_up_plan": plan})
    changed = _assign_in_bulk(
        organization=organization, customer_ids=customer_ids, field="follow_up_plan", value=plan,
        code="customer.follow_up_plan_assigned", actor=actor,
    )  # fmt: skip
    customers_changed.send(sender=Customer, customer_ids=customer_ids)
    return changed
