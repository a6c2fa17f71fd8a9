"""Writes for tenancy, API keys and the activity log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from organizations.models import ActivityLog, ActorType, ApiKey, ApiKeyScope, Organization
from tabular.bulk_insert import insert_rows

API_KEY_PREFIX = "ck_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


class CustomerActor:
    """A debtor acting through a public link; logged with the customer's name."""

    def __init__(self, label: str) -> None:
        self.label = label


Actor = AbstractBaseUser | ApiKey | CustomerActor | None


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, ApiKey):
        return {"actor_type": ActorType.API_KEY, "actor_api_key": actor, "actor_label": actor.name}
    if isinstance(actor, CustomerActor):
        return {"actor_type": ActorType.CUSTOMER, "actor_label": actor.label}
    if actor is not None and getattr(actor, "is_authenticated", False) and actor.pk:
        return {"actor_type": ActorType.USER, "actor_user": actor, "actor_label": str(actor)}
    return {"actor_type": ActorType.SYSTEM, "actor_label": ""}


def related_customer_id(subject: models.Model) -> int | None:
    if subject._meta.label == "customers.Customer":
        return subject.pk
    return getattr(subject, "customer_id", None)


def log_action(
    *,
    organization: Organization,
    subject: models.Model,
    code: str,
    actor: Actor = None,
    data: dict[str, Any] | None = None,
) -> ActivityLog:
    """Record who did what to which record. `code` is namespaced: `invoice.payment_recorded`."""
    return ActivityLog.objects.create(
        organization=organization,
        subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        subject_id=subject.pk,
        related_customer_id=related_customer_id(subject),
        code=code,
        data=data or {},
        **_actor_fields(actor),
    )


def log_actions_bulk(
    *,
    organization: Organization,
    subjects: list[models.Model],
    code: str,
    actor: Actor = None,
    data: dict[str, Any] | None = None,
) -> int:
    """The same entry for many subjects in one statement (bulk actions over thousands of customers)."""
    if not subjects:
        return 0
    subject_type = ContentType.objects.get_for_model(subjects[0], for_concrete_model=True)
    actor_columns = {
        (f"{name}_id" if isinstance(value, models.Model) else name): (
            value.pk if isinstance(value, models.Model) else value
        )
        for name, value in _actor_fields(actor).items()
    }
    rows = [
        {"organization_id": organization.pk, "subject_type_id": subject_type.pk, "subject_id": subject.pk,
         "code": code, "related_customer_id": related_customer_id(subject), "data": data or {}, **actor_columns}
        for subject in subjects
    ]  # fmt: skip
    return len(insert_rows(ActivityLog, rows))


def log_actions_many(entries: list[dict[str, Any]]) -> int:
    """Different entries in one statement; each a dict of `log_action`'s arguments (organization, subject,
    code, optional actor and data): a batch of deliveries across customers and organizations."""
    rows = [
        ActivityLog(organization=entry["organization"],
                    subject_type=ContentType.objects.get_for_model(entry["subject"], for_concrete_model=True),
                    subject_id=entry["subject"].pk, related_customer_id=related_customer_id(entry["subject"]),
                    code=entry["code"], data=entry.get("data") or {}, **_actor_fields(entry.get("actor")))
        for entry in entries
    ]  # fmt: skip
    return len(ActivityLog.objects.bulk_create(rows, batch_size=1000)) if rows else 0


def hash_api_secret(secret: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, organization: Organization, name: str, scope: str = ApiKeyScope.READ, actor: Actor = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is shown once and never stored."""
    prefix = secrets.token_hex(4)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name.strip(),
        prefix=prefix,
        hashed_secret=hash_api_secret(secret),
        scope=scope,
        created_by=actor if isinstance(actor, AbstractBaseUser) else None,
    )
    log_action(
        organization=organization,
        subject=api_key,
        code="api_key.created",
        actor=actor,
        data={"name": api_key.name, "scope": scope, "prefix": prefix},
    )
    return api_key, secret


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor = None) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        log_action(
            organization=api_key.organization,
            subject=api_key,
            code="api_key.revoked",
            actor=actor,
            data={"name": api_key.name, "prefix": api_key.prefix},
        )
    return api_key


def api_key_authenticate(*, secret: str) -> ApiKey | None:
    """Return the active key matching `secret`, recording its use at most once a minute."""
    if not secret.startswith(API_KEY_PREFIX) or secret.count("_") < 2:
        return None
    prefix = secret[len(API_KEY_PREFIX) :].split("_", 1)[0]
    api_key = (
        ApiKey.objects.select_related("organization", "organization__tenant")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not secrets.compare_digest(api_key.hashed_secret, hash_api_secret(secret)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
