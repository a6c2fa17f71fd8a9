"""Deliver one dispatch: claim, re-check at send time, render, record the attempt, send, book the result.

Nothing here runs inside a long transaction: the claim is committed before the provider is called, and
the attempt row is committed before the call too, so a crash leaves evidence of how far it got.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.mime.image import MIMEImage

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from customers.models import Contact, EmailStatus
from invoices.models import Invoice, InvoiceStatus
from invoices.payment_details import payment_details, qr_png
from localized.context import for_organization
from localized.dates import format_datetime
from mandates.selectors import held_for_collection_ids
from organizations.services import log_action, log_actions_many
from reminders.calendar import next_send_time
from reminders.engine import LEASE, PlanBook, claim_many, reschedule, stuck_dispatches
from reminders.fallback import fall_back, task_assignee
from reminders.kinds import KindHandler, handler_for
from reminders.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Dispatch,
    DispatchInvoice,
    DispatchStatus,
    StepChannel,
    Task,
    TemplatePurpose,
)
from reminders.providers import may_have_been_accepted, provider_lookup
from reminders.task_titles import TaskTitle, task_title
from reminders.templating import InvoiceLine, MessageContext, render_html, render_text
from reminders.texts import Text, text_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# 1, 5, 15, 60 and 180 minutes (FOLLOW_UP_RETRY_SECONDS).
BACKOFF = [timedelta(seconds=seconds) for seconds in settings.FOLLOW_UP_RETRY_SECONDS]


class TransientError(Exception):
    """The provider may accept this later. `in_doubt`: the failure may have come after it accepted it."""

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


class PermanentError(Exception):
    """The provider will never accept this message as it is."""

    def __init__(self, message: str, *, recipients_refused: bool = False) -> None:
        super().__init__(message)
        self.recipients_refused = recipients_refused


@dataclass
class Outcome:
    status: str
    reason: str = ""


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
       returned. 2. A few queries read what the batch needs. 3. Each is re-checked and rendered; what no longer
       applies is finished on its own (held, missed, skipped, task, test mode, no valid contact). 4. The rendered
       content and one STARTED attempt per message are written and COMMITTED, before the provider is called.
    5. The messages go out over one backend connection, each classified on its own (permanent, transient,
       in doubt). 6. What the provider accepted is booked in bulk. A crash anywhere leaves rows the sweeper
       reconciles: `sending` without an attempt is requeued, with a STARTED attempt the provider is asked.
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
    batch = _Batch(dispatches)
    ready: list[_Ready] = []
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


def _found_after_all(dispatch: Dispatch, batch: _Batch, now: datetime, provider_id: str) -> None:
    attempt = DeliveryAttempt.objects.create(
        organization_id=dispatch.organization_id, dispatch=dispatch, number=dispatch.attempts,
        outcome=AttemptOutcome.SENT, detail=f"found at the provider: {provider_id}", finished_at=now,
    )  # fmt: skip
    logger.info("Dispatch %s: the provider had it after all (attempt %s)", dispatch.pk, attempt.number)
    mark_sent(dispatch, [item.invoice for item in batch.items[dispatch.pk]], now, provider_id)


def _unexpected(dispatch: Dispatch, now: datetime) -> None:
    if _provider_may_have_it(dispatch):
        # The attempt was recorded, so the provider may hold the message: retrying blindly could send it
        # twice. The claim stays in `sending`; the sweeper reconciles it when the lease runs out.
        logger.exception("Dispatch %s failed after its attempt was recorded; left for the sweeper", dispatch.pk)
    else:
        logger.exception("Dispatch %s failed unexpectedly; it will be retried", dispatch.pk)
        _retry_or_fail(dispatch, now, _("Unexpected error; retrying."))


class _Batch:
    """What the claimed dispatches need, read in a few queries for the whole batch."""

    def __init__(self, dispatches: list[Dispatch]) -> None:
        self.books: dict[int, PlanBook] = {}
        for dispatch in dispatches:
            if dispatch.organization_id not in self.books:
                self.books[dispatch.organization_id] = PlanBook.load(dispatch.organization)
        self.items: dict[int, list[DispatchInvoice]] = defaultdict(list)
        items = DispatchInvoice.objects.filter(dispatch_id__in=[dispatch.pk for dispatch in dispatches])
        for item in items.select_related("invoice"):
            self.items[item.dispatch_id].append(item)
        # Listed invoices that direct debit takes care of now (one query for the batch).
        self.held = held_for_collection_ids([item.invoice_id for listed in self.items.values() for item in listed])
        self.contacts: dict[int, list[Contact]] = defaultdict(list)
        contacts = Contact.objects.filter(
            customer_id__in={dispatch.customer_id for dispatch in dispatches}, notify=True,
            email_status=EmailStatus.VALID,
        )  # fmt: skip
        for contact in contacts.order_by("id"):
            self.contacts[contact.customer_id].append(contact)
        self._texts: dict[tuple[int, str, str], Text] = {}
        self.accounts: dict = {}  # bank accounts per (organization, currency), read once per batch
        # Dispatches whose previous attempt ended in doubt (the provider may hold the message after all).
        previous = {dispatch.pk: dispatch.attempts - 1 for dispatch in dispatches if dispatch.attempts > 1}
        doubtful = DeliveryAttempt.objects.filter(dispatch_id__in=previous, in_doubt=True)
        self.in_doubt = {pk for pk, number in doubtful.values_list("dispatch_id", "number") if previous[pk] == number}

    def text(self, dispatch: Dispatch) -> Text:
        """The text per (organization, purpose, language), read once per batch."""
        key = (dispatch.organization_id, _purpose(dispatch), dispatch.customer.language)
        if key not in self._texts:
            self._texts[key] = text_for(organization=dispatch.organization, purpose=key[1], language=key[2])
        return self._texts[key]


@dataclass
class _Ready:
    """A claimed dispatch, re-checked and rendered, that goes to the provider."""

    dispatch: Dispatch
    listed: list[Invoice]
    handler: KindHandler | None = None
    extra: list[tuple[str, bytes, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    attempt: DeliveryAttempt | None = None
    provider_id: str = ""
    error: Exception | None = None


def _prepare(dispatch: Dispatch, batch: _Batch, now: datetime) -> _Ready | None:
    """Re-check at send time and render; None when the dispatch was finished here (nothing to send)."""
    if dispatch.pk in batch.in_doubt and (lookup := provider_lookup(dispatch)).found is True:
        # The previous attempt failed after the provider may have accepted it; its search did not list the
        # message then, but does now (it lags behind): booked as sent, not sent again.
        return _found_after_all(dispatch, batch, now, lookup.provider_id or message_id(dispatch))
    book = batch.books[dispatch.organization_id]
    if handler := handler_for(dispatch):
        return _prepare_kind(dispatch, handler, batch, now)
    if held := _hold(dispatch, book, now):
        return _release(dispatch, held)
    if not dispatch.manual and now - dispatch.scheduled_for > timedelta(days=book.follow_up.lateness_days):
        return _finish(dispatch, DispatchStatus.MISSED, _("Could not go out in time; not sent late."))
    listed = _still_owed(dispatch, batch.items[dispatch.pk], batch.held)
    if not listed:
        return _finish(dispatch, DispatchStatus.SKIPPED, _nothing_owed_reason(dispatch))
    if dispatch.channel in (StepChannel.TASK, StepChannel.MANUAL, StepChannel.LETTER):
        return _open_task_for_step(dispatch, listed, now)
    content = render(
        dispatch,
        listed,
        now,
        contacts=batch.contacts[dispatch.customer_id],
        text=batch.text(dispatch),
        accounts=batch.accounts,
    )
    if not content["recipients"]:
        _store_content(dispatch, content)
        _finish(dispatch, DispatchStatus.FAILED, _("No contact that receives messages has a valid e-mail address."))
        return _fall_back(dispatch, task_title("find_valid_email", customer=dispatch.customer))
    if book.follow_up.test_mode and not dispatch.manual:
        _store_content(dispatch, content)
        return _finish(dispatch, DispatchStatus.TEST, _("Test mode: rendered and recorded, not sent."))
    _apply_content(dispatch, content)  # written with the attempt, before the provider is called
    return _Ready(dispatch, listed)


def _prepare_kind(dispatch: Dispatch, handler: KindHandler, batch: _Batch, now: datetime) -> _Ready | None:
    """A message of another kind (mandate invitation, pre-notification, …): re-check with its handler, render."""
    if reason := handler.skip_reason(dispatch):
        return _finish(dispatch, DispatchStatus.SKIPPED, reason)
    rendered = handler.render(dispatch, now)
    content = {
        "subject": _clean_header(rendered.subject)[:300], "text_body": rendered.text_body,
        "html_body": rendered.html_body, "from_email": _from_email(dispatch.organization),
        "reply_to": _reply_to_for(dispatch),
        "recipients": [contact.email for contact in batch.contacts[dispatch.customer_id]], "cc": [], "bcc": [],
        "attachments": [{"filename": name} for name, _content, _mime in rendered.attachments],
    }  # fmt: skip
    if not content["recipients"]:
        _store_content(dispatch, content)
        reason = _("No contact that receives messages has a valid e-mail address.")
        _finish(dispatch, DispatchStatus.FAILED, reason)
        handler.on_failed(dispatch, reason)
        return None
    _apply_content(dispatch, content)
    return _Ready(dispatch, [], handler, extra=list(rendered.attachments), tags=list(handler.tags))


CONTENT_FIELDS = ("subject", "text_body", "html_body", "from_email", "reply_to", "recipients", "cc", "bcc",
                  "attachments")  # fmt: skip


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
    params = [[field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields] + [row.pk]
              for row in rows]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _apply_content(dispatch: Dispatch, content: dict) -> None:
    for name, value in content.items():
        setattr(dispatch, name, value)


def _store_content(dispatch: Dispatch, content: dict) -> None:
    Dispatch.objects.filter(pk=dispatch.pk).update(**content)
    _apply_content(dispatch, content)


def _send_batch(ready: list[_Ready], now: datetime) -> None:
    # The content and a STARTED attempt per message, committed together before any provider call: from here
    # on a crash leaves evidence that the provider may have the message, and the sweeper asks it.
    try:
        with transaction.atomic():
            _update_rows([item.dispatch for item in ready], CONTENT_FIELDS)
            attempts = DeliveryAttempt.objects.bulk_create([
                DeliveryAttempt(organization_id=item.dispatch.organization_id, dispatch=item.dispatch,
                                number=item.dispatch.attempts)
                for item in ready
            ])  # fmt: skip
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


def _send_all(ready: list[_Ready]) -> None:
    """Each message on its own (so each gets its own outcome), over one connection to the backend."""
    backend = get_connection()
    try:
        backend.open()
    except Exception:  # e.g. an SMTP server that refuses: each message then opens (and classifies) its own
        logger.warning("Could not open the e-mail backend for a batch; sending one by one", exc_info=True)
        backend = None
    try:
        for item in ready:
            try:
                item.provider_id = _send_email(item.dispatch, item.listed, extra=item.extra, tags=item.tags,
                                               connection=backend)  # fmt: skip
            except Exception as error:
                item.error = error
    finally:
        if backend is not None:
            try:
                backend.close()
            except Exception:
                logger.warning("Closing the e-mail backend failed", exc_info=True)


def _book(ready: list[_Ready], now: datetime) -> None:
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


def _book_failure(item: _Ready, now: datetime) -> None:
    dispatch, attempt, error = item.dispatch, item.attempt, item.error
    if isinstance(error, PermanentError):
        _close_attempt(attempt, AttemptOutcome.PERMANENT, str(error))
        if error.recipients_refused:
            _mark_recipients_invalid(dispatch, str(error))
        reason = _("Refused by the e-mail provider: %(error)s") % {"error": error}
        _finish(dispatch, DispatchStatus.FAILED, reason)
        if item.handler:
            item.handler.on_failed(dispatch, reason)
            return None
        return _fall_back(dispatch, task_title("email_refused", customer=dispatch.customer))
    if isinstance(error, TransientError):
        if error.in_doubt:
            return _settle_in_doubt(dispatch, attempt, item.listed, now, str(error))
        _close_attempt(attempt, AttemptOutcome.TRANSIENT, str(error))
        return _retry_or_fail(dispatch, now, str(error))
    # Anything else came from inside the send: the provider may have the message. Never resent blindly.
    logger.error("Dispatch %s failed after its attempt was recorded; left for the sweeper", dispatch.pk,
                 exc_info=error)  # fmt: skip
    return None


@dataclass
class Hold:
    until: datetime
    reason: str
    postpones: bool = False  # the wait moves the scheduled time, so lateness counts from its end


def _provider_may_have_it(dispatch: Dispatch) -> bool:
    """Whether this claim already recorded an attempt whose outcome is not a known refusal or retry."""
    status = Dispatch.objects.filter(pk=dispatch.pk).values_list("status", "attempts").first()
    if status is None or status[0] != DispatchStatus.SENDING:
        return False
    last = dispatch.delivery_attempts.order_by("-number").first()
    return (
        last is not None and last.number == status[1] and last.outcome in (AttemptOutcome.STARTED, AttemptOutcome.SENT)
    )


def _hold(dispatch: Dispatch, book: PlanBook, now: datetime) -> Hold | None:
    """Reasons to wait rather than send now: the switch is off, the customer is paused, outside the window."""
    if dispatch.manual:
        return None
    if not book.follow_up.sending_enabled:
        return Hold(now + timedelta(minutes=15), _("Waiting: automatic sending is switched off."))
    paused_until = dispatch.customer.follow_up_paused_until
    country = dispatch.customer.country or dispatch.organization.country
    if paused_until and paused_until >= now.astimezone(book.window.zone).date():
        after = datetime.combine(paused_until + timedelta(days=1), datetime.min.time(), tzinfo=book.window.zone)
        until = next_send_time(at=after, window=book.window, country=country)
        reason = _("Waiting: the customer is paused; it goes out on %(when)s.") % {"when": _local(until, book)}
        return Hold(until, reason, postpones=True)
    opens = next_send_time(at=now, window=book.window, country=country)
    if opens > now:
        return Hold(opens, _("Waiting for the next business day or hour: %(when)s.") % {"when": _local(opens, book)})
    return None


def _local(moment: datetime, book: PlanBook) -> str:
    """`21/12/2026 09:00 CET`: a moment in the organization's zone, for a reason its staff read."""
    with timezone.override(book.window.zone):
        return format_datetime(moment, with_zone=True, country=book.organization.country)


def _release(dispatch: Dispatch, hold: Hold) -> None:
    """Give the claim back without counting an attempt."""
    changes = {"status": DispatchStatus.QUEUED, "next_attempt_at": hold.until, "reason": hold.reason,
               "attempts": dispatch.attempts - 1}  # fmt: skip
    if hold.postpones:
        changes["scheduled_for"] = hold.until
    Dispatch.objects.filter(pk=dispatch.pk).update(**changes)


def owed_invoices(items: list[DispatchInvoice], held: set[int] | None = None) -> list[Invoice]:
    """The listed invoices that still call for a message now: open, owed, not paused, not left to direct debit
    (`held`: ids a debit is requested for or that wait for collection; read here when not given)."""
    held = held_for_collection_ids([item.invoice_id for item in items]) if held is None else held
    return [
        item.invoice
        for item in items
        if item.invoice_id not in held
        and item.invoice.status == InvoiceStatus.OPEN
        and item.invoice.open_amount > 0
        and not item.invoice.follow_up_paused
    ]


def _still_owed(
    dispatch: Dispatch, items: list[DispatchInvoice] | None = None, held: set[int] | None = None
) -> list[Invoice]:
    """`owed_invoices` at send time, the message's items brought to the invoices' open amounts of now."""
    items = list(dispatch.items.select_related("invoice")) if items is None else items
    listed = owed_invoices(items, held)
    for item in items:
        if item.invoice in listed and item.open_amount != item.invoice.open_amount:
            type(item).objects.filter(pk=item.pk).update(open_amount=item.invoice.open_amount)
    return listed


def _nothing_owed_reason(dispatch: Dispatch) -> str:
    statuses = {item.invoice.status for item in dispatch.items.select_related("invoice")}
    if statuses <= {InvoiceStatus.PAID, InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF}:
        return _("Paid before it went out.")
    if InvoiceStatus.DISPUTED in statuses:
        return _("Disputed before it went out.")
    if held_for_collection_ids([item.invoice_id for item in dispatch.items.all()]):
        return _("Moved to direct-debit collection before it went out.")
    return _("Follow-up paused for these invoices before it went out.")


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
        customer_name=customer.name, customer_reference=customer.external_ref,
        contact_name=contact.name if contact else "", organization_name=organization.sender_name or organization.name,
        organization_email=_reply_to(organization), organization_address=organization.address,
        organization_vat=organization.vat_number, invoices=lines, language=customer.language, payments=payments,
        country=organization.country, time_zone=organization.time_zone, inline_images=True,
    )  # fmt: skip


def _reply_to(organization) -> str:
    return organization.reply_to_email or organization.sender_email or ""


def _reply_to_for(dispatch: Dispatch) -> list[str]:
    """Replies to a manual message go to the person who sent it; others to the organization."""
    if dispatch.manual and dispatch.created_by_id and dispatch.created_by.email:
        return [dispatch.created_by.email]
    address = _reply_to(dispatch.organization)
    return [address] if address else []


def _purpose(dispatch: Dispatch) -> str:
    if dispatch.purpose:
        return dispatch.purpose
    return dispatch.step.message_purpose if dispatch.step else TemplatePurpose.REMINDER_1


def _clean_header(value: str) -> str:
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def render(
    dispatch: Dispatch, listed: list[Invoice], now: datetime, *, contacts: list[Contact] | None = None,
    text: Text | None = None, accounts: dict | None = None,
) -> dict:  # fmt: skip
    """Subject, bodies, sender and recipients as they will be sent (`contacts`, `text`, `accounts`: read for a
    batch)."""
    organization = dispatch.organization
    contacts = contacts_for(dispatch) if contacts is None else contacts
    context = message_context(dispatch, listed, now, contacts, with_payment=True, accounts=accounts)
    if text is None:
        text = text_for(organization=organization, purpose=_purpose(dispatch), language=dispatch.customer.language)
    subject_text = dispatch.custom_subject or text.subject
    body_text = dispatch.custom_body or text.body
    html_body = render_html(body_text, context)
    # The QR codes the HTML shows go along as inline images (Content-ID), regenerated from the payload at send.
    qr_codes = [
        {"filename": name, "inline": content_id, "epc": payload}
        for content_id, name, payload in context.qr_images()
        if f"cid:{content_id}" in html_body
    ]
    step = dispatch.step
    # Only a step that copies the account manager needs their address (two more rows to read otherwise).
    copies_manager = bool(step and step.cc_account_manager and dispatch.customer.account_manager_id)
    manager = dispatch.customer.account_manager.user.email if copies_manager else ""
    return {
        "subject": _clean_header(render_text(subject_text, context))[:300],
        "text_body": render_text(body_text, context),
        "html_body": html_body,
        "from_email": _from_email(organization),
        "reply_to": _reply_to_for(dispatch),
        "recipients": [contact.email for contact in contacts],
        "cc": [manager] if step and step.cc_account_manager and manager else [],
        "bcc": [_reply_to(organization)] if step and step.bcc_sender and _reply_to(organization) else [],
        "attachments": ([{"invoice": i.pk, "filename": f"{i.number}.pdf"} for i in listed if i.pdf]
                        if not step or step.attach_pdfs else []) + qr_codes,
    }  # fmt: skip


def message_id(dispatch: Dispatch) -> str:
    """Deterministic per dispatch: every attempt carries the same id, so a provider can recognise a repeat."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].rstrip(">").strip() or "collect.localhost"
    return f"<dispatch-{dispatch.pk}.{dispatch.organization_id}@{domain}>"


def _from_email(organization) -> str:
    """The organization's own address once verified (organizations/sender.py), else the platform's in its name."""
    name = _clean_header(organization.sender_name or organization.name)
    if organization.sender_email and organization.sender_email_verified_at:
        return f"{name} <{organization.sender_email}>"
    platform = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">").strip()
    return f"{name} <{platform}>"


def _inline_qr(attachment: dict) -> MIMEImage:
    """The EPC QR code as an inline image the HTML shows with `cid:` (as anymail's attach_inline_image does;
    Anymail's ESP backends send it as an inline attachment, SMTP as a part with a Content-ID)."""
    image = MIMEImage(qr_png(attachment["epc"]), "png")
    image.add_header("Content-Disposition", "inline", filename=attachment["filename"])
    image.add_header("Content-ID", f"<{attachment['inline']}>")
    return image


def _send_email(
    dispatch: Dispatch, listed: list[Invoice], *, extra: list[tuple[str, bytes, str]] = (), tags: list[str] = (),
    connection: BaseEmailBackend | None = None,
) -> str:  # fmt: skip
    message = EmailMultiAlternatives(
        subject=dispatch.subject, body=dispatch.text_body, from_email=dispatch.from_email, to=dispatch.recipients,
        cc=dispatch.cc, bcc=dispatch.bcc, reply_to=dispatch.reply_to, headers={"Message-ID": message_id(dispatch)},
        connection=connection,
    )  # fmt: skip
    message.attach_alternative(dispatch.html_body, "text/html")
    for invoice in listed:
        if invoice.pdf and any(a.get("invoice") == invoice.pk for a in dispatch.attachments):
            with invoice.pdf.open("rb") as pdf:
                message.attach(f"{invoice.number}.pdf", pdf.read(), "application/pdf")
    for filename, content, mime in extra:
        message.attach(filename, content, mime)
    for attachment in dispatch.attachments:
        if attachment.get("epc"):
            message.attach(_inline_qr(attachment))
    message.metadata = {"organization_id": dispatch.organization_id, "dispatch_id": dispatch.pk}
    message.tags = list(tags) or ["follow-up"]
    try:
        message.send()
    except AnymailRecipientsRefused as error:
        raise PermanentError(str(error), recipients_refused=True) from error
    except AnymailAPIError as error:
        status = getattr(error, "status_code", None)
        if status and 400 <= status < 500 and status not in (408, 429):
            raise PermanentError(str(error)) from error
        raise TransientError(str(error), in_doubt=may_have_been_accepted(error)) from error
    except OSError as error:  # connection refused, timeouts, SMTP errors
        raise TransientError(str(error), in_doubt=may_have_been_accepted(error)) from error
    provider_ids = getattr(getattr(message, "anymail_status", None), "message_id", None)
    if isinstance(provider_ids, set):
        # Several recipients with ids of their own (Mailjet), or some refused (Postmark's inactive addresses).
        provider_ids = ",".join(sorted(str(provider_id) for provider_id in provider_ids if provider_id))
    return str(provider_ids) if provider_ids else message_id(dispatch)


def _settle_in_doubt(dispatch: Dispatch, attempt: DeliveryAttempt, listed: list[Invoice], now: datetime,
                     detail: str) -> None:  # fmt: skip
    """The send failed after the request may have reached the provider: ask it before retrying (providers.py).

    Found: book it sent. Not found: retry as usual. Cannot tell: the claim and the started attempt stay as
    they are, and the sweeper asks again when the lease runs out (then `uncertain` for a person): never resent.
    """
    lookup = provider_lookup(dispatch)
    if lookup.found is True:
        _close_attempt(attempt, AttemptOutcome.SENT, lookup.provider_id or f"found at the provider after: {detail}")
        return mark_sent(dispatch, listed, now, lookup.provider_id or message_id(dispatch))
    if lookup.found is False:
        _close_attempt(attempt, AttemptOutcome.TRANSIENT, detail)
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(in_doubt=True)  # the retry asks again first
        return _retry_or_fail(dispatch, now, detail)
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


def _close_attempt(attempt: DeliveryAttempt, outcome: str, detail: str) -> None:
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
    entries: list[dict] = []
    touched: list[int] = []
    by_level: dict[int, list[int]] = defaultdict(list)
    for dispatch, listed, _provider_id in sent:
        if handler := handler_for(dispatch):
            handler.on_sent(dispatch, now)
            entries.append({"organization": dispatch.organization, "subject": handler.subject_of(dispatch),
                            "code": f"{dispatch.kind}.sent", "actor": dispatch.created_by,
                            "data": {"dispatch": dispatch.pk, "subject": dispatch.subject}})  # fmt: skip
            continue
        invoice_ids = [invoice.pk for invoice in listed]
        touched.extend(invoice_ids)
        if level := (dispatch.step.position if dispatch.step else None):
            by_level[level].extend(invoice_ids)
        code = "invoice.reminder_sent" if dispatch.channel == StepChannel.EMAIL else "invoice.follow_up_task_created"
        with override(dispatch.organization.default_language):
            step = str(dispatch.step or _("Manual reminder"))
        data = {"dispatch": dispatch.pk, "subject": dispatch.subject, "step": step}
        entries.extend({"organization": dispatch.organization, "subject": invoice, "code": code,
                        "actor": dispatch.created_by, "data": data} for invoice in listed)  # fmt: skip
    if touched:
        Invoice.objects.filter(pk__in=touched).update(last_follow_up_at=now)
    for level, invoice_ids in by_level.items():
        Invoice.objects.filter(pk__in=invoice_ids, follow_up_level__lt=level).update(follow_up_level=level)
    log_actions_many(entries)
    # No reschedule: an invoice reaches a step's level when the dispatch is decided (queued counts), so sending
    # it changes neither the level nor what is owed, and `next_follow_up_at` stays as deciding left it.


def _finish(dispatch: Dispatch, status: str, reason: str) -> None:
    Dispatch.objects.filter(pk=dispatch.pk).update(status=status, reason=reason[:300])
    if handler := handler_for(dispatch):
        log_action(organization=dispatch.organization, subject=handler.subject_of(dispatch),
                   code=f"{dispatch.kind}.{status}", data={"dispatch": dispatch.pk, "reason": reason})  # fmt: skip
        return
    log_action(organization=dispatch.organization, subject=dispatch.invoice, code=f"invoice.dispatch_{status}",
               data={"dispatch": dispatch.pk, "reason": reason})  # fmt: skip
    reschedule(invoice_ids=list(dispatch.items.values_list("invoice_id", flat=True)))


def _retry_or_fail(dispatch: Dispatch, now: datetime, detail: str) -> None:
    attempts = Dispatch.objects.get(pk=dispatch.pk).attempts
    if attempts >= MAX_ATTEMPTS:
        _finish(dispatch, DispatchStatus.FAILED, _("Gave up after %(count)s attempts: %(error)s") % {
            "count": attempts, "error": detail})  # fmt: skip
        _open_task(dispatch, task_title("send_failed", customer=dispatch.customer))
        return
    wait = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
    reason = _("Temporary error, retrying: %(error)s") % {"error": detail[:200]}
    Dispatch.objects.filter(pk=dispatch.pk).update(
        status=DispatchStatus.QUEUED, next_attempt_at=now + wait, reason=reason
    )


def _open_task(dispatch: Dispatch, title: TaskTitle) -> Task:
    with override(dispatch.organization.default_language):
        text = str(title)[:200]
    task, _created = Task.objects.get_or_create(
        dispatch=dispatch,
        defaults={"organization": dispatch.organization, "customer": dispatch.customer, "invoice": dispatch.invoice,
                  "title": text, "title_code": title.code, "title_params": title.params,
                  "assigned_to": task_assignee(dispatch),
                  "due_on": timezone.localdate(timezone=dispatch.organization.zone)},
    )  # fmt: skip
    return task


def _fall_back(dispatch: Dispatch, title: TaskTitle) -> None:
    """A permanent refusal: the plan's fallback follows (reminders/fallback.py), a task unless it is "nothing"."""
    _channel, title = fall_back(dispatch, task_title=title)
    if title:
        _open_task(dispatch, title)


def open_task(dispatch: Dispatch, title: TaskTitle) -> Task:
    """The dispatch's task for a person (at most one per dispatch), for the step's member or the account manager."""
    return _open_task(dispatch, title)


def _open_task_for_step(dispatch: Dispatch, listed: list[Invoice], now: datetime) -> None:
    if dispatch.channel == StepChannel.TASK:
        title = task_title("step_task", step=dispatch.step.name if dispatch.step else "", customer=dispatch.customer)
    elif dispatch.channel == StepChannel.MANUAL:
        title = task_title("decide_next_step", customer=dispatch.customer)
    else:
        title = task_title("send_letter", customer=dispatch.customer)
    _open_task(dispatch, title)
    mark_sent(dispatch, listed, now, provider_id="")


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Cross-tenant: resolve dispatches whose worker died while holding them."""
    now = now or timezone.now()
    counts = {"requeued": 0, "proven_sent": 0, "uncertain": 0}
    for dispatch_id in stuck_dispatches(now=now):
        # Still stuck now: another sweeper (two ticks overlap) may have resolved it since the list was read.
        dispatch = (
            Dispatch.objects.select_related("organization", "customer", "step")
            .filter(pk=dispatch_id, status=DispatchStatus.SENDING, claimed_at__lt=now - LEASE)
            .first()
        )
        if dispatch is None:
            continue
        with override(dispatch.organization.default_language):
            _sweep_one(dispatch, now, counts)
    return counts


def _sweep_one(dispatch: Dispatch, now: datetime, counts: dict[str, int]) -> None:
    """Resolve this stuck claim: asks the provider (no lock held), then acts only if the claim is still the one
    it looked at. Another sweeper may have requeued it meanwhile and a worker claimed it afresh: requeueing that
    new claim would let a second worker send the message again."""
    last = dispatch.delivery_attempts.order_by("-number").first()
    current = last is not None and last.number == dispatch.attempts
    if current and last.outcome == AttemptOutcome.SENT:
        held = True  # the provider accepted it; only the booking was lost
    elif current and last.outcome == AttemptOutcome.STARTED:
        held = provider_has(dispatch)
    else:
        held = False  # the provider was never called for this claim
    with transaction.atomic():
        same_claim = Dispatch.objects.select_for_update().filter(
            pk=dispatch.pk, status=DispatchStatus.SENDING, attempts=dispatch.attempts, claimed_at=dispatch.claimed_at
        )
        if same_claim.exists():
            _resolve_stuck(dispatch, last if current else None, held, now, counts)


def _resolve_stuck(
    dispatch: Dispatch, last: DeliveryAttempt | None, held: bool | None, now: datetime, counts: dict[str, int]
) -> None:
    """`last`: this claim's attempt, if it recorded one; `held`: whether the provider has the message."""
    current = last is not None
    if held is False:
        # The provider never had the message: retrying cannot duplicate anything.
        if current and last.outcome == AttemptOutcome.STARTED:
            _close_attempt(last, AttemptOutcome.TRANSIENT, "worker stopped before the provider had it")
        Dispatch.objects.filter(pk=dispatch.pk, status=DispatchStatus.SENDING).update(
            status=DispatchStatus.QUEUED, next_attempt_at=now
        )
        counts["requeued"] += 1
    elif held is True:
        _close_attempt(last, AttemptOutcome.SENT, last.detail or "found at the provider after a crash")
        listed = [item.invoice for item in dispatch.items.select_related("invoice")]
        mark_sent(dispatch, listed, now, dispatch.provider_message_id or message_id(dispatch))
        counts["proven_sent"] += 1
    else:
        _finish(dispatch, DispatchStatus.UNCERTAIN, _("The worker stopped while sending; check whether it arrived."))
        _open_task(dispatch, task_title("check_arrival", customer=dispatch.customer))
        counts["uncertain"] += 1


def provider_has(dispatch: Dispatch) -> bool | None:
    """Whether the provider holds this message: True, False, or None when it cannot tell.

    One small class per provider answers (reminders/providers.py): the built-in store by Message-ID, Postmark
    through its message search; any provider through a tracking event proving it accepted the message.
    Without an answer the dispatch is marked uncertain rather than risk a repeat.
    """
    return provider_lookup(dispatch).found
