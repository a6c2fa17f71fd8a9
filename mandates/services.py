"""Writes for mandates: profiles, references, the life of a mandate. Every change is logged on its timeline.

A mandate's state only changes through `mandate_transition`, which checks mandates/states.py; the entry it
logs carries the customer, so the customer's timeline shows it too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, CustomerType
from mandates import sepa
from mandates.messages import MANDATE_SIGNED
from mandates.models import Mandate, MandateDocument, MandateProfile, MandateState, ReferenceCounter, Scheme
from mandates.models import SignatureMethod as Method
from mandates.signals import mandate_ended, mandate_signed
from mandates.states import AWAITING_SIGNATURE, can_transition, check_transition
from messaging.kinds import Outgoing, about, queue_messages
from organizations.models import Organization
from organizations.services import CustomerActor, log_action, log_actions_bulk

# The timestamp each state stamps on the mandate when it is reached.
STAMPS = {
    MandateState.INVITED: "invited_at",
    MandateState.OPENED: "opened_at",
    MandateState.SIGNING: "signing_started_at",
    MandateState.SIGNED: "signed_at",
    MandateState.CANCELLED: "cancelled_at",
    MandateState.SUSPENDED: "suspended_at",
    MandateState.EXPIRED: "expired_at",
}
STAMPED_FIELDS = ("state", *STAMPS.values(), "updated_at")
# A signed mandate lapses after 36 months without a collection (EPC rulebook).
DORMANT_MONTHS = 36
USABLE = frozenset({MandateState.SIGNED, MandateState.SUSPENDED})
SIGNING_LANGUAGES = frozenset(code for code, _name in settings.LANGUAGES)


class MandateError(ValueError):
    """A refusal a person can act on; `errors` maps form fields ("" = the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        self.errors = {"": [errors]} if isinstance(errors, str) else errors
        super().__init__("; ".join(message for messages in self.errors.values() for message in messages))


class LinkUnusable(MandateError):
    """The signing link no longer works: `problem` is "signed", "ended" or "expired"."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


# Profiles ---------------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "name", "scheme", "creditor_name", "creditor_street", "creditor_postal_code", "creditor_city",
    "creditor_country", "creditor_id", "creditor_iban", "creditor_bic", "reference_prefix", "pain_version",
    "use_frst", "language", "remind_every_days", "remind_max_times", "link_valid_days", "pre_notification_days",
    "collect_on_signing",
)  # fmt: skip


def profile_clean(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Normalise the creditor fields of a profile and say what is wrong, per field (form and API share it)."""
    cleaned, errors = dict(data), {}

    def check(field: str, validate) -> None:
        value = cleaned.get(field)
        if not value:
            return
        try:
            cleaned[field] = validate(value)
        except sepa.SepaError as error:
            errors.setdefault(field, []).append(str(error.message))

    check("creditor_id", sepa.validate_creditor_id)
    check("creditor_iban", sepa.validate_iban)
    check("creditor_bic", sepa.validate_bic)
    check("reference_prefix", lambda prefix: sepa.mandate_reference(prefix=prefix, sequence=1).rsplit("-", 1)[0])
    if cleaned.get("creditor_country"):
        cleaned["creditor_country"] = cleaned["creditor_country"].strip().upper()
    for field in ("creditor_name", "creditor_id", "creditor_iban"):
        if field in cleaned and not cleaned[field]:
            errors.setdefault(field, []).append(_("Required: it appears on every mandate and collection."))
    needs_bic = cleaned.get("pain_version") == sepa.PAIN008_VERSIONS[0] and "creditor_bic" in cleaned
    if needs_bic and not cleaned["creditor_bic"] and "creditor_bic" not in errors:
        errors["creditor_bic"] = [_("pain.008.001.02 requires the creditor's BIC.")]
    return cleaned, errors


@transaction.atomic
def profile_save(
    *, organization: Organization, profile: MandateProfile | None, data: dict[str, Any], actor: Any
) -> MandateProfile:
    """Create or change a profile; logs the fields that changed."""
    cleaned, errors = profile_clean(data)
    if errors:
        raise MandateError(errors)
    created = profile is None
    profile = profile or MandateProfile(organization=organization)
    before = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    for name, value in cleaned.items():
        if name in PROFILE_FIELDS:
            setattr(profile, name, value)
    profile.save()
    changes = {
        n: [str(before[n]), str(getattr(profile, n))] for n in PROFILE_FIELDS if before[n] != getattr(profile, n)
    }
    code = "mandate_profile.created" if created else "mandate_profile.updated"
    if created or changes:
        log_action(organization=organization, subject=profile, code=code, actor=actor,
                   data={"changes": changes} if not created else {"name": profile.name})  # fmt: skip
    return profile


@transaction.atomic
def profile_set_archived(*, profile: MandateProfile, archived: bool, actor: Any) -> MandateProfile:
    """Archived profiles keep their mandates but take no new ones."""
    if profile.archived != archived:
        MandateProfile.objects.filter(pk=profile.pk).update(archived=archived)
        profile.archived = archived
        code = "mandate_profile.archived" if archived else "mandate_profile.restored"
        log_action(organization=profile.organization, subject=profile, code=code, actor=actor)
    return profile


# References and transitions ---------------------------------------------------------------------


@transaction.atomic
def references_allocate(*, organization: Organization, prefix: str, count: int = 1) -> list[str]:
    """`count` new mandate references. The counter only goes up, so a reference is never handed out twice."""
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(organization=organization)
    first = counter.next_value
    ReferenceCounter.objects.filter(pk=counter.pk).update(next_value=F("next_value") + count)
    return [sepa.mandate_reference(prefix=prefix, sequence=first + offset) for offset in range(count)]


@transaction.atomic
def mandate_transition(
    *, mandate: Mandate, to: str, actor: Any = None, now: datetime | None = None, data: dict | None = None,
    code: str | None = None, only_from: tuple[str, ...] | None = None, **changes: Any,
) -> Mandate:  # fmt: skip
    """Move the mandate to state `to` (checked against mandates/states.py), with extra field changes.

    Logged as `mandate.<to>` unless `code` names the event more precisely (`mandate.declined`). With `only_from`,
    a mandate that another request has already moved on (found in another state once locked) is returned as it
    is, without an error or a log line: for events that happen once however often the debtor triggers them.
    """
    now = now or timezone.now()
    locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if only_from is not None and locked.state not in only_from:
        mandate.__dict__.update({name: getattr(locked, name) for name in STAMPED_FIELDS})
        return locked
    check_transition(locked.state, to)
    previous = locked.state
    fields = {"state": to, **changes}
    if stamp := STAMPS.get(to):
        fields.setdefault(stamp, now)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    log_action(organization=locked.organization, subject=locked, code=code or f"mandate.{to}", actor=actor,
               data={"from": previous, **(data or {})})  # fmt: skip
    mandate.__dict__.update({name: getattr(locked, name) for name in [*fields, "updated_at"]})
    return locked


def _ended_on_commit(mandate: Mandate, actor: Any, previous: str) -> None:
    if previous == MandateState.SIGNED:
        transaction.on_commit(lambda: mandate_ended.send(sender=Mandate, mandate=mandate, actor=actor))


# Preparing --------------------------------------------------------------------------------------


@transaction.atomic
def mandate_prepare(
    *, organization: Organization, customer: Customer, profile: MandateProfile, actor: Any = None,
    now: datetime | None = None,
) -> Mandate:  # fmt: skip
    """A mandate waiting for the customer's signature, with a new reference and a signing link."""
    now = now or timezone.now()
    if customer.organization_id != organization.pk or profile.organization_id != organization.pk:
        raise MandateError(_("The customer and the profile must belong to this organization."))
    if profile.archived:
        raise MandateError({"profile": [_("This profile is archived; choose another one.")]})
    if profile.scheme == Scheme.B2B and customer.type != CustomerType.COMPANY:
        raise MandateError({"customer": [_(
            "B2B mandates are only for companies; %(customer)s is a person. Use a CORE profile for consumers."
        ) % {"customer": customer.name}]})  # fmt: skip
    [reference] = references_allocate(organization=organization, prefix=profile.reference_prefix)
    mandate = Mandate.objects.create(
        organization=organization, customer=customer, profile=profile, scheme=profile.scheme, reference=reference,
        language=profile.language or customer.language, debtor_name=customer.name[:70],
        debtor_street=customer.street[:70], debtor_postal_code=customer.postal_code, debtor_city=customer.city[:70],
        debtor_country=customer.country, link_expires_at=now + timedelta(days=profile.link_valid_days),
        created_by=actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None,
    )  # fmt: skip
    log_action(organization=organization, subject=mandate, code="mandate.prepared", actor=actor,
               data={"reference": reference, "profile": profile.name})  # fmt: skip
    return mandate


# The debtor on the signing page -----------------------------------------------------------------


def link_problem(mandate: Mandate, *, now: datetime | None = None) -> str:
    """Why the signing link no longer works ("" when it does): "signed", "ended" or "expired"."""
    now = now or timezone.now()
    if mandate.state in USABLE:
        return "signed"
    if mandate.state not in AWAITING_SIGNATURE:
        return "ended"
    if mandate.link_expires_at and mandate.link_expires_at <= now:
        return "expired"
    return ""


def mandate_record_opened(*, mandate: Mandate, now: datetime | None = None) -> Mandate:
    """The first view of the signing page; later views change nothing."""
    unopened = (MandateState.PREPARED, MandateState.INVITED)
    if mandate.state in unopened and not link_problem(mandate, now=now):
        return mandate_transition(
            mandate=mandate, to=MandateState.OPENED, actor=_debtor(mandate), now=now, only_from=unopened
        )
    return mandate


def mandate_record_signing_started(*, mandate: Mandate, now: datetime | None = None) -> Mandate:
    """The debtor's first interaction with the form (or first submission)."""
    mandate = mandate_record_opened(mandate=mandate, now=now)
    if mandate.state == MandateState.OPENED:
        # The page's first-interaction ping and the form's submit can both get here for the same debtor.
        return mandate_transition(
            mandate=mandate, to=MandateState.SIGNING, actor=_debtor(mandate), now=now, only_from=(MandateState.OPENED,)
        )
    return mandate


def _debtor(mandate: Mandate) -> CustomerActor:
    return CustomerActor(mandate.customer.name if mandate.customer_id else "")


DEBTOR_FIELDS = ("debtor_name", "debtor_street", "debtor_postal_code", "debtor_city", "debtor_country", "iban", "bic")


def debtor_clean(data: dict[str, Any]) -> dict[str, Any]:
    """Validate what the debtor filled in; raises MandateError with messages per field."""
    cleaned = {name: " ".join(str(data.get(name) or "").split()) for name in DEBTOR_FIELDS}
    errors: dict[str, list[str]] = {}
    for name in ("debtor_name", "debtor_street", "debtor_postal_code", "debtor_city", "debtor_country"):
        if not cleaned[name]:
            errors[name] = [_("Please fill this in.")]
    country = cleaned["debtor_country"].upper()
    cleaned["debtor_country"] = country
    if country and not sepa.country_in_sepa(country):
        errors["debtor_country"] = [_(
            "Direct debit is only possible for debtors in a SEPA country; %(country)s is not one. "
            "Please pay by bank transfer instead."
        ) % {"country": country}]  # fmt: skip
    _clean_account(cleaned, errors)
    if errors:
        raise MandateError(errors)
    return cleaned


def _clean_account(cleaned: dict[str, Any], errors: dict[str, list[str]]) -> None:
    if not cleaned["iban"]:
        errors["iban"] = [_("Please fill in the IBAN of the account to be debited.")]
        return
    try:
        cleaned["iban"] = sepa.validate_iban(cleaned["iban"])
    except sepa.SepaError as error:
        errors["iban"] = [str(error.message)]
        return
    derived = sepa.bic_for_iban(cleaned["iban"])
    if cleaned["bic"]:
        try:
            cleaned["bic"] = sepa.validate_bic(cleaned["bic"])
        except sepa.SepaError as error:
            errors["bic"] = [str(error.message)]
    elif derived:
        cleaned["bic"] = derived
    elif sepa.bic_needed(cleaned["iban"]):
        errors["bic"] = [_("Please fill in your bank's BIC: it is needed for accounts outside the EEA.")]


@dataclass(frozen=True)
class Signature:
    signer_name: str
    ip: str | None
    user_agent: str
    place: str = ""
    method: str = Method.TYPED_NAME
    # The language of the page the debtor signed on (the text they read); "" = the mandate's language.
    language: str = ""


@transaction.atomic
def mandate_sign(
    *, mandate: Mandate, debtor: dict[str, Any], signature: Signature, now: datetime | None = None
) -> Mandate:
    """The debtor signs: validated, stored, the PDF kept, the signed copy queued. Twice is impossible."""
    from mandates.pdf import render_mandate_pdf

    now = now or timezone.now()
    cleaned = debtor_clean(debtor)
    if len(signature.signer_name.strip()) < 2:
        raise MandateError({"signer_name": [_("Type your full name to sign.")]})
    locked = Mandate.objects.select_for_update().select_related("profile", "customer").get(pk=mandate.pk)
    if problem := link_problem(locked, now=now):
        raise LinkUnusable(problem)
    if locked.state != MandateState.SIGNING:
        locked = mandate_record_signing_started(mandate=locked, now=now)
    language = signature.language if signature.language in SIGNING_LANGUAGES else locked.language
    signed = mandate_transition(
        mandate=locked, to=MandateState.SIGNED, actor=_debtor(locked), now=now,
        data={"method": signature.method, "language": language}, signature_method=signature.method,
        signer_name=signature.signer_name.strip()[:200], signed_ip=signature.ip,
        signed_user_agent=signature.user_agent[:500], signed_language=language, **cleaned,
    )  # fmt: skip
    pdf = render_mandate_pdf(signed, place=signature.place)
    MandateDocument.objects.create(organization=signed.organization, mandate=signed, language=language,
                                   pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())  # fmt: skip
    queue_messages(
        organization=signed.organization, kind=MANDATE_SIGNED, actor=None,
        messages=[Outgoing(customer_id=signed.customer_id, subject=about(Mandate, signed.pk),
                           dedupe_key=f"mandate-signed:{signed.pk}")],
    )  # fmt: skip
    transaction.on_commit(lambda: mandate_signed.send(sender=Mandate, mandate=signed, actor=None))
    mandate.__dict__.update({k: v for k, v in signed.__dict__.items() if not k.startswith("_")})
    return signed


@transaction.atomic
def mandate_decline(*, mandate: Mandate, reason: str = "", now: datetime | None = None) -> Mandate:
    """The debtor does not want to sign; the mandate is cancelled and the link stops working."""
    now = now or timezone.now()
    locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if problem := link_problem(locked, now=now):
        raise LinkUnusable(problem)
    reason = reason.strip()[:300]
    return mandate_transition(mandate=locked, to=MandateState.CANCELLED, actor=_debtor(locked), now=now,
                              code="mandate.declined", data={"reason": reason}, cancel_reason=reason,
                              declined_at=now)  # fmt: skip


# Staff and API ----------------------------------------------------------------------------------


@transaction.atomic
def mandate_cancel(*, mandate: Mandate, reason: str, actor: Any, now: datetime | None = None) -> Mandate:
    reason = (reason or "").strip()[:300]
    if not reason:
        raise MandateError({"reason": [_("Give a reason: it is kept with the mandate.")]})
    previous = mandate.state
    cancelled = mandate_transition(mandate=mandate, to=MandateState.CANCELLED, actor=actor, now=now,
                                   data={"reason": reason}, cancel_reason=reason)  # fmt: skip
    _ended_on_commit(cancelled, actor, previous)
    return cancelled


@transaction.atomic
def mandate_suspend(*, mandate: Mandate, actor: Any, reason: str = "", now: datetime | None = None) -> Mandate:
    previous = mandate.state
    suspended = mandate_transition(mandate=mandate, to=MandateState.SUSPENDED, actor=actor, now=now,
                                   data={"reason": reason.strip()[:300]})  # fmt: skip
    _ended_on_commit(suspended, actor, previous)
    return suspended


@transaction.atomic
def mandate_reactivate(*, mandate: Mandate, actor: Any, now: datetime | None = None) -> Mandate:
    """A suspended mandate is usable again; it keeps its original signature date."""
    if mandate.state != MandateState.SUSPENDED:
        raise MandateError(_("Only a suspended mandate can be reactivated."))
    reactivated = mandate_transition(mandate=mandate, to=MandateState.SIGNED, actor=actor, now=now,
                                     code="mandate.reactivated", signed_at=mandate.signed_at,
                                     suspended_at=None)  # fmt: skip
    transaction.on_commit(
        lambda: mandate_signed.send(sender=Mandate, mandate=reactivated, actor=actor, reactivated=True)
    )
    return reactivated


# Expiry (the daily beat task) -------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in range(day.day, 0, -1):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def mandates_expire_all_organizations(*, now: datetime | None = None) -> dict[str, int]:
    """Across every tenant (the scheduler): expire dormant signed mandates and unsigned ones past their link.

    Set-based: one UPDATE per kind and organization, one bulk insert of timeline entries.
    """
    now = now or timezone.now()
    cutoff = _months_before(now.date(), DORMANT_MONTHS)
    dormant = Q(state__in=USABLE) & (
        Q(last_collection_at__lt=cutoff) | Q(last_collection_at__isnull=True, signed_at__date__lt=cutoff)
    )
    unsigned = Q(state__in=AWAITING_SIGNATURE, link_expires_at__lte=now)
    assert all(can_transition(state, MandateState.EXPIRED) for state in USABLE | AWAITING_SIGNATURE)
    return {
        "dormant": _expire(dormant, now=now, reason="dormant"),
        "unsigned": _expire(unsigned, now=now, reason="link_expired"),
    }


def _expire(condition: Q, *, now: datetime, reason: str) -> int:
    total = 0
    rows = Mandate.objects.filter(condition).values_list("organization_id", "pk", "state")
    by_organization: dict[int, list[tuple[int, str]]] = {}
    for organization_id, pk, state in rows:
        by_organization.setdefault(organization_id, []).append((pk, state))
    for organization_id, entries in by_organization.items():
        with transaction.atomic():
            ids = [pk for pk, _state in entries]
            expired = list(Mandate.objects.select_for_update().filter(condition, pk__in=ids))
            Mandate.objects.filter(pk__in=[m.pk for m in expired]).update(
                state=MandateState.EXPIRED, expired_at=now, updated_at=now
            )
            organization = Organization.objects.get(pk=organization_id)
            log_actions_bulk(organization=organization, subjects=expired, code="mandate.expired",
                             data={"reason": reason})  # fmt: skip
            for mandate in expired:
                _ended_on_commit(mandate, None, mandate.state if mandate.state in USABLE else "")
            total += len(expired)
    return total
