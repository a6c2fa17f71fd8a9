"""Deliver dispatches: claim, re-check at send time, render, record the attempt, send, book the result.

Nothing here runs inside a long transaction: the claim is committed before the provider is called, and
the attempt row is committed before the call too, so a crash leaves evidence of how far it got. What a message
says and when it no longer applies is its kind's business (messaging/kinds.py, registered by the app that owns
the kind); the transport puts it on the wire (messaging/transports.py); the sweeper resolves what a dead worker
left behind (messaging/sweep.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from customers.models import Contact, EmailStatus
from invoices.models import Invoice
from invoices.payment_details import payment_details
from localized.context import for_organization
from messaging.kinds import KindHandler, handler_for
from messaging.models import AttemptOutcome, DeliveryAttempt, Dispatch, DispatchInvoice, DispatchStatus
from messaging.people import ask_person
from messaging.templating import InvoiceLine, MessageContext
from messaging.transports import PermanentError, TransientError, email_transport, message_id
from organizations.services import log_action, log_actions_many

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# 1, 5, 15, 60 and 180 minutes (FOLLOW_UP_RETRY_SECONDS).
BACKOFF = [timedelta(seconds=seconds) for seconds in settings.FOLLOW_UP_RETRY_SECONDS]
# Longer than CELERY_TASK_TIME_LIMIT (10 minutes), so a live worker is never mistaken for a dead one: 15 minutes
# (FOLLOW_UP_LEASE_SECONDS; check reminders.E002 below).
LEASE = timedelta(seconds=settings.FOLLOW_UP_LEASE_SECONDS)


@checks.register()
def check_lease_outlasts_tasks(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The sweeper takes a claim older than the lease for a dead worker's: a living worker must never hold one that
    long, or the sweeper could requeue a message the worker is sending (a duplicate). Celery kills a task at
    CELERY_TASK_TIME_LIMIT."""
    if settings.FOLLOW_UP_LEASE_SECONDS > settings.CELERY_TASK_TIME_LIMIT:
        return []
    return [
        checks.Error(
            f"FOLLOW_UP_LEASE_SECONDS ({settings.FOLLOW_UP_LEASE_SECONDS}) must be longer than CELERY_TASK_TIME_LIMIT "
            f"({settings.CELERY_TASK_TIME_LIMIT}): the sweeper would take a living worker's claim for a dead one's.",
            id="reminders.E002",
        )
    ]


def due_dispatch_ids(*, now: datetime, limit: int = 1000) -> list[int]:
    """Queued dispatches whose time has come (cross-tenant, oldest first)."""
    queued = Dispatch.objects.filter(status=DispatchStatus.QUEUED, next_attempt_at__lte=now)
    return list(queued.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def claim_many(*, dispatch_ids: list[int], now: datetime) -> list[int]:
    """Claim every listed dispatch that is queued and due in ONE conditional UPDATE; returns the ids claimed.

    A compare-and-swap for a batch (queued → sending, attempts + 1). The conditions sit on the updated rows
    themselves, so PostgreSQL re-checks them on a row another worker changed meanwhile (READ COMMITTED): a row
    claimed by someone else first is simply not returned.
    """
    ids = sorted({int(dispatch_id) for dispatch_id in dispatch_ids})
    if not ids:
        return []
    quote, column = connection.ops.quote_name, lambda name: Dispatch._meta.get_field(name).column
    status, claimed_at, attempts = (quote(column(name)) for name in ("status", "claimed_at", "attempts"))
    moment = connection.ops.adapt_datetimefield_value(now)
    # Identifiers come from the model, values are parameters.
    sql = (
        f"UPDATE {quote(Dispatch._meta.db_table)} SET {status} = %s, {claimed_at} = %s, {attempts} = {attempts} + 1"  # noqa: S608
        f" WHERE {quote('id')} IN ({', '.join(['%s'] * len(ids))}) AND {status} = %s"
        f" AND {quote(column('next_attempt_at'))} <= %s RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [DispatchStatus.SENDING.value, moment, *ids, DispatchStatus.QUEUED.value, moment])
        return sorted(row[0] for row in cursor.fetchall())


def deliver_one(*, dispatch_id: int, now: datetime | None = None, reload: bool = True) -> Dispatch | None:
    """Deliver a queued dispatch whose time has come; None when another worker has it or it is not due.

    The batch path with one id (`deliver_many`), so every caller exercises the same code. Returns the
    dispatch as stored afterwards (`reload=False`, for workers: as this call left it in memory).
    """
    delivered = deliver_many(dispatch_ids=[dispatch_id], now=now)
    if not delivered:
        return None
    return Dispatch.objects.get(pk=dispatch_id) if reload else delivered[0]


def deliver_many(*, dispatch_ids: list[int], now: datetime | None = None) -> list[Dispatch]:
    """Deliver the queued, due dispatches among these ids as one batch; returns the ones this call claimed.

    1. ONE conditional UPDATE claims them (queued → sending, attempts + 1); ids another worker holds are not
       returned. 2. A few queries read what the batch needs. 3. Each is re-checked and rendered by its kind; what
       no longer applies is finished on its own (held, missed, skipped, task, test mode, no valid contact). 4. The
       rendered content and one STARTED attempt per message are written and COMMITTED, before the provider is
       called. 5. The messages go out over one transport connection, each classified on its own (permanent,
       transient, in doubt). 6. What the provider accepted is booked in bulk. A crash anywhere leaves rows the
       sweeper reconciles: `sending` without an attempt is requeued, with a STARTED attempt the provider is asked.
    """
    now = now or timezone.now()
    claimed = claim_many(dispatch_ids=dispatch_ids, now=now)
    if not claimed:
        return []
    # Few joins: planning a wider join cost more than the lookups it saved (the invoice and the account manager
    # are read when a path needs them).
    dispatches = list(
        Dispatch.objects.select_related("organization", "customer", "step", "created_by")
        .filter(pk__in=claimed)
        .order_by("pk")
    )
    batch = Batch(dispatches)
    ready: list[Ready] = []
    for dispatch in dispatches:
        # Reasons and task titles are stored for the organization's staff, in its language, whatever
        # language this worker thread last served; dates and amounts in its country's way and its time zone.
        with override(dispatch.organization.default_language), for_organization(dispatch.organization):
            try:
                prepared = _prepare(dispatch, batch, now)
            except Exception:
                _unexpected(dispatch, now)
            else:
                if prepared is not None:
                    ready.append(prepared)
    if ready:
        _send_batch(ready, now)
    return dispatches


def _found_after_all(dispatch: Dispatch, batch: Batch, now: datetime, provider_id: str) -> None:
    attempt = DeliveryAttempt.objects.create(
        organization_id=dispatch.organization_id,
        dispatch=dispatch,
        number=dispatch.attempts,
        outcome=AttemptOutcome.SENT,
        detail=f"found at the provider: {provider_id}",
        finished_at=now,
    )
    logger.info("Dispatch %s: the provider had it after all (attempt %s)", dispatch.pk, attempt.number)
    mark_sent(dispatch, [item.invoice for item in batch.items[dispatch.pk]], now, provider_id)


def _unexpected(dispatch: Dispatch, now: datetime) -> None:
    if _provider_may_have_it(dispatch):
        # The attempt was recorded, so the provider may hold the message: retrying blindly could send it
        # twice. The claim stays in `sending`; the sweeper reconciles it when the lease runs out.
        logger.exception("Dispatch %s failed after its attempt was recorded; left for the sweeper", dispatch.pk)
    else:
        logger.exception("Dispatch %s failed unexpectedly; it will be retried", dispatch.pk)
        retry_or_fail(dispatch, now, _("Unexpected error; retrying."))


class Batch:
    """What the claimed dispatches need, read in a few queries for the whole batch; `memo` keeps what a kind
    reads once per batch (its settings per organization, its texts, …)."""

    def __init__(self, dispatches: list[Dispatch]) -> None:
        self.items: dict[int, list[DispatchInvoice]] = defaultdict(list)
        items = DispatchInvoice.objects.filter(dispatch_id__in=[dispatch.pk for dispatch in dispatches])
        for item in items.select_related("invoice"):
            self.items[item.dispatch_id].append(item)
        self.contacts: dict[int, list[Contact]] = defaultdict(list)
        contacts = Contact.objects.filter(
            customer_id__in={dispatch.customer_id for dispatch in dispatches},
            notify=True,
            email_status=EmailStatus.VALID,
        )
        for contact in contacts.order_by("id"):
            self.contacts[contact.customer_id].append(contact)
        self.accounts: dict = {}  # bank accounts per (organization, currency), read once per batch
        # Dispatches whose previous attempt ended in doubt (the provider may hold the message after all).
        previous = {dispatch.pk: dispatch.attempts - 1 for dispatch in dispatches if dispatch.attempts > 1}
        doubtful = DeliveryAttempt.objects.filter(dispatch_id__in=previous, in_doubt=True)
        self.in_doubt = {pk for pk, number in doubtful.values_list("dispatch_id", "number") if previous[pk] == number}
        self._memo: dict[Any, Any] = {}

    def memo(self, key: Any, read: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = read()
        return self._memo[key]


@dataclass
class Ready:
    """A claimed dispatch, re-checked and rendered, that goes to the provider."""

    dispatch: Dispatch
    listed: list[Invoice]
    handler: KindHandler | None = None
    extra: list[tuple[str, bytes, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    attempt: DeliveryAttempt | None = None
    provider_id: str = ""
    error: Exception | None = None


def _prepare(dispatch: Dispatch, batch: Batch, now: datetime) -> Ready | None:
    """Re-check at send time and render; None when the dispatch was finished here (nothing to send)."""
    if dispatch.pk in batch.in_doubt and (lookup := email_transport().lookup(dispatch)).found is True:
        # The previous attempt failed after the provider may have accepted it; its search did not list the
        # message then, but does now (it lags behind): booked as sent, not sent again.
        return _found_after_all(dispatch, batch, now, lookup.provider_id or message_id(dispatch))
    handler = handler_for(dispatch)
    if handler.prepare is not None:
        return handler.prepare(dispatch, batch, now)
    return _prepare_kind(dispatch, handler, batch, now)


def _prepare_kind(dispatch: Dispatch, handler: KindHandler, batch: Batch, now: datetime) -> Ready | None:
    """A message that is sent or skipped (mandate invitation, pre-notification, …): re-check, render."""
    if reason := handler.skip_reason(dispatch):
        return finish(dispatch, DispatchStatus.SKIPPED, reason)
    rendered = handler.render(dispatch, now)
    content = {
        "subject": clean_header(rendered.subject)[:300],
        "text_body": rendered.text_body,
        "html_body": rendered.html_body,
        "from_email": from_email(dispatch.organization),
        "reply_to": reply_to_for(dispatch),
        "recipients": [contact.email for contact in batch.contacts[dispatch.customer_id]],
        "cc": [],
        "bcc": [],
        "attachments": [{"filename": name} for name, _content, _mime in rendered.attachments],
    }
    if not content["recipients"]:
        store_content(dispatch, content)
        reason = _("No contact that receives messages has a valid e-mail address.")
        finish(dispatch, DispatchStatus.FAILED, reason)
        handler.on_failed(dispatch, reason)
        return None
    apply_content(dispatch, content)
    return Ready(dispatch, [], handler, extra=list(rendered.attachments), tags=list(handler.tags))


CONTENT_FIELDS = (
    "subject",
    "text_body",
    "html_body",
    "from_email",
    "reply_to",
    "recipients",
    "cc",
    "bcc",
    "attachments",
)


def _update_rows(rows: list[Model], names: tuple[str, ...]) -> None:
    """Write these fields of each row: one UPDATE by primary key, sent for all rows at once (executemany).

    Django's bulk_update builds a CASE expression per field and row, which costs more CPU than the sends.
    """
    if not rows:
        return
    meta = rows[0]._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    # Identifiers come from the model, values are parameters.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields] + [row.pk] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def apply_content(dispatch: Dispatch, content: dict) -> None:
    """The rendered content on the dispatch in memory; written with the attempt, before the provider is called."""
    for name, value in content.items():
        setattr(dispatch, name, value)


def store_content(dispatch: Dispatch, content: dict) -> None:
    """The rendered content written now (a message that is not sent: test mode, no valid address)."""
    Dispatch.objects.filter(pk=dispatch.pk).update(**content)
    apply_content(dispatch, content)


def _send_batch(ready: list[Ready], now: datetime) -> None:
    # The content and a STARTED attempt per message, committed together before any provider call: from here
    # on a crash leaves evidence that the provider may have the message, and the sweeper asks it.
    try:
        with transaction.atomic():
            _update_rows([item.dispatch for item in ready], CONTENT_FIELDS)
            attempts = DeliveryAttempt.objects.bulk_create(
                [
                    DeliveryAttempt(
                        organization_id=item.dispatch.organization_id,
                        dispatch=item.dispatch,
                        number=item.dispatch.attempts,
                    )
                    for item in ready
                ]
            )
    except Exception:
        # Nothing was recorded, so nothing reached the provider: retrying cannot double a message.
        for item in ready:
            with override(item.dispatch.organization.default_language):
                _unexpected(item.dispatch, now)
        return
    for item, attempt in zip(ready, attempts, strict=True):
        item.attempt = attempt
    _send_all(ready)
    _book(ready, now)


def _send_all(ready: list[Ready]) -> None:
    """Each message on its own (so each gets its own outcome), over one connection to the transport."""
    with email_transport().session() as transport:
        for item in ready:
            try:
                item.provider_id = transport.send(item.dispatch, item.listed, extra=item.extra, tags=item.tags)
            except Exception as error:
                item.error = error


def _book(ready: list[Ready], now: datetime) -> None:
    """The provider's answers: what it accepted in bulk, each refusal, retry or doubt on its own."""
    accepted = [item for item in ready if item.error is None]
    if accepted:
        try:
            _close_attempts([(item.attempt, item.provider_id) for item in accepted], AttemptOutcome.SENT)
            mark_sent_many([(item.dispatch, item.listed, item.provider_id) for item in accepted], now)
        except Exception:
            # The provider has these messages: the claims stay in `sending`, the sweeper books them.
            logger.exception("Booking %s accepted messages failed; left for the sweeper", len(accepted))
    for item in ready:
        if item.error is None:
            continue
        with override(item.dispatch.organization.default_language):
            try:
                _book_failure(item, now)
            except Exception:
                _unexpected(item.dispatch, now)


def _book_failure(item: Ready, now: datetime) -> None:
    dispatch, attempt, error = item.dispatch, item.attempt, item.error
    if isinstance(error, PermanentError):
        close_attempt(attempt, AttemptOutcome.PERMANENT, str(error))
        if error.recipients_refused:
            _mark_recipients_invalid(dispatch, str(error))
        reason = _("Refused by the e-mail provider: %(error)s") % {"error": error}
        finish(dispatch, DispatchStatus.FAILED, reason)
        return handler_for(dispatch).on_failed(dispatch, reason)
    if isinstance(error, TransientError):
        if error.in_doubt:
            return _settle_in_doubt(dispatch, attempt, item.listed, now, str(error))
        close_attempt(attempt, AttemptOutcome.TRANSIENT, str(error))
        return retry_or_fail(dispatch, now, str(error))
    # Anything else came from inside the send: the provider may have the message. Never resent blindly.
    logger.error("Dispatch %s failed after its attempt was recorded; left for the sweeper", dispatch.pk, exc_info=error)
    return None


def _provider_may_have_it(dispatch: Dispatch) -> bool:
    """Whether this claim already recorded an attempt whose outcome is not a known refusal or retry."""
    status = Dispatch.objects.filter(pk=dispatch.pk).values_list("status", "attempts").first()
    if status is None or status[0] != DispatchStatus.SENDING:
        return False
    last = dispatch.delivery_attempts.order_by("-number").first()
    return (
        last is not None and last.number == status[1] and last.outcome in (AttemptOutcome.STARTED, AttemptOutcome.SENT)
    )


def release(dispatch: Dispatch, *, until: datetime, reason: str, postpones: bool = False) -> None:
    """Give the claim back without counting an attempt; `postpones`: the wait moves the scheduled time, so
    lateness counts from its end."""
    changes = {
        "status": DispatchStatus.QUEUED,
        "next_attempt_at": until,
        "reason": reason,
        "attempts": dispatch.attempts - 1,
    }
    if postpones:
        changes["scheduled_for"] = until
    Dispatch.objects.filter(pk=dispatch.pk).update(**changes)


def contacts_for(dispatch: Dispatch) -> list[Contact]:
    """The contacts that receive messages and have a valid address, oldest first."""
    contacts = Contact.objects.filter(customer=dispatch.customer, notify=True, email_status=EmailStatus.VALID)
    return list(contacts.order_by("id"))


def message_context(
    dispatch: Dispatch,
    listed: list[Invoice],
    now: datetime,
    contacts: list[Contact] | None = None,
    *,
    with_payment: bool = False,
    accounts: dict | None = None,
) -> MessageContext:
    """What the message may say; `with_payment`: how to pay the listed invoices (bank account, references, QR
    codes as inline images), for the messages that ask for payment."""
    organization, customer = dispatch.organization, dispatch.customer
    today = now.astimezone(organization.zone).date()
    contacts = contacts_for(dispatch) if contacts is None else contacts
    contact = contacts[0] if contacts else None
    ordered = sorted(listed, key=lambda i: (i.due_date, i.pk))
    lines = [
        InvoiceLine(i.number, i.due_date, max((today - i.due_date).days, 0), i.open_amount, i.currency) for i in ordered
    ]
    payments = (
        payment_details(organization=organization, invoices=ordered, language=customer.language, accounts=accounts)
        if with_payment and ordered
        else []
    )
    return MessageContext(
        customer_name=customer.name,
        customer_reference=customer.external_ref,
        contact_name=contact.name if contact else "",
        organization_name=organization.sender_name or organization.name,
        organization_email=reply_to(organization),
        organization_address=organization.address,
        organization_vat=organization.vat_number,
        invoices=lines,
        language=customer.language,
        payments=payments,
        country=organization.country,
        time_zone=organization.time_zone,
        inline_images=True,
    )


def reply_to(organization) -> str:
    return organization.reply_to_email or organization.sender_email or ""


def reply_to_for(dispatch: Dispatch) -> list[str]:
    """Replies to a manual message go to the person who sent it; others to the organization."""
    if dispatch.manual and dispatch.created_by_id and dispatch.created_by.email:
        return [dispatch.created_by.email]
    address = reply_to(dispatch.organization)
    return [address] if address else []


def clean_header(value: str) -> str:
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def from_email(organization) -> str:
    """The organization's own address once verified (organizations/sender.py), else the platform's in its name."""
    name = clean_header(organization.sender_name or organization.name)
    if organization.sender_email and organization.sender_email_verified_at:
        return f"{name} <{organization.sender_email}>"
    platform = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    return f"{name} <{platform}>"


def _settle_in_doubt(
    dispatch: Dispatch, attempt: DeliveryAttempt, listed: list[Invoice], now: datetime, detail: str
) -> None:
    """The send failed after the request may have reached the provider: ask it before retrying (transports.py).

    Found: book it sent. Not found: retry as usual. Cannot tell: the claim and the started attempt stay as
    they are, and the sweeper asks again when the lease runs out (then `uncertain` for a person): never resent.
    """
    lookup = email_transport().lookup(dispatch)
    if lookup.found is True:
        close_attempt(attempt, AttemptOutcome.SENT, lookup.provider_id or f"found at the provider after: {detail}")
        return mark_sent(dispatch, listed, now, lookup.provider_id or message_id(dispatch))
    if lookup.found is False:
        close_attempt(attempt, AttemptOutcome.TRANSIENT, detail)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(in_doubt=True)  # the retry asks again first
        return retry_or_fail(dispatch, now, detail)
    logger.warning("Dispatch %s: outcome unknown after %s; left for the sweeper", dispatch.pk, detail)
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(detail=f"outcome unknown: {detail}"[:500])
    Dispatch.objects.filter(pk=dispatch.pk).update(
        reason=_("The provider's answer was lost; checking whether it has the message.")
    )
    return None


def _mark_recipients_invalid(dispatch: Dispatch, detail: str) -> None:
    """The provider refused these addresses: they stop receiving messages until someone fixes them."""
    from customers.services import contact_mark_email_bounced

    contacts = Contact.objects.filter(customer=dispatch.customer, email__in=dispatch.recipients, notify=True)
    for contact in contacts:
        contact_mark_email_bounced(contact=contact, detail=detail)


def close_attempt(attempt: DeliveryAttempt, outcome: str, detail: str) -> None:
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome, detail=detail[:500], finished_at=timezone.now()
    )


def _close_attempts(closing: list[tuple[DeliveryAttempt, str]], outcome: str) -> None:
    finished = timezone.now()
    for attempt, detail in closing:
        attempt.outcome, attempt.detail, attempt.finished_at = outcome, detail[:500], finished
    _update_rows([attempt for attempt, _detail in closing], ("outcome", "detail", "finished_at"))


def mark_sent(dispatch: Dispatch, listed: list[Invoice], now: datetime, provider_id: str) -> None:
    mark_sent_many([(dispatch, listed, provider_id)], now)


@transaction.atomic
def mark_sent_many(sent: list[tuple[Dispatch, list[Invoice], str]], now: datetime) -> None:
    """Book what the provider accepted: (dispatch, listed invoices, provider id), in a few statements."""
    dispatches = []
    for dispatch, _listed, provider_id in sent:
        dispatch.status, dispatch.sent_at, dispatch.reason = DispatchStatus.SENT, now, ""
        dispatch.provider_message_id = provider_id[:300]
        dispatches.append(dispatch)
    _update_rows(dispatches, ("status", "sent_at", "provider_message_id", "reason"))
    by_kind: dict[str, list[tuple[Dispatch, list[Invoice]]]] = defaultdict(list)
    for dispatch, listed, _provider_id in sent:
        by_kind[dispatch.kind].append((dispatch, listed))
    entries: list[dict] = []
    for group in by_kind.values():
        handler = handler_for(group[0][0])
        entries.extend(handler.book_sent(group, now) if handler.book_sent else _book_sent(handler, group, now))
    log_actions_many(entries)


def _book_sent(handler: KindHandler, sent: list[tuple[Dispatch, list[Invoice]]], now: datetime) -> list[dict]:
    entries = []
    for dispatch, _listed in sent:
        handler.on_sent(dispatch, now)
        entries.append(
            {
                "organization": dispatch.organization,
                "subject": handler.subject_of(dispatch),
                "code": f"{dispatch.kind}.sent",
                "actor": dispatch.created_by,
                "data": {"dispatch": dispatch.pk, "subject": dispatch.subject},
            }
        )
    return entries


def finish(dispatch: Dispatch, status: str, reason: str) -> None:
    """The dispatch ends without being sent (skipped, failed, missed, test, uncertain); its kind records why."""
    Dispatch.objects.filter(pk=dispatch.pk).update(status=status, reason=reason[:300])
    handler = handler_for(dispatch)
    if handler.on_finished is not None:
        return handler.on_finished(dispatch, status, reason)
    log_action(
        organization=dispatch.organization,
        subject=handler.subject_of(dispatch),
        code=f"{dispatch.kind}.{status}",
        data={"dispatch": dispatch.pk, "reason": reason},
    )
    return None


def retry_or_fail(dispatch: Dispatch, now: datetime, detail: str) -> None:
    attempts = Dispatch.objects.get(pk=dispatch.pk).attempts
    if attempts >= MAX_ATTEMPTS:
        finish(
            dispatch,
            DispatchStatus.FAILED,
            _("Gave up after %(count)s attempts: %(error)s") % {"count": attempts, "error": detail},
        )
        ask_person(dispatch, "send_failed")
        return
    wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
    reason = _("Temporary error, retrying: %(error)s") % {"error": detail[:200]}
    Dispatch.objects.filter(pk=dispatch.pk).update(
        status=DispatchStatus.QUEUED, next_attempt_at=now + wait, reason=reason
    )
