"""Follow-up and manual reminders as kinds of the outbox: what they re-check, say and book at send time.

Deciding (reminders/decide.py) queues them; messaging/delivery.py claims them and calls `prepare` below, which
holds a message back (automatic sending off, customer paused, outside the sending window), gives up on a late
one (`missed`), skips one whose invoices are no longer owed, opens the task of a task, letter or manual step,
and renders the rest with the invoices still owed. When the provider accepted a message, `book_sent` moves the
invoices' follow-up level on; a message finished without being sent is logged on its invoice and the invoices
are rescheduled; a refused one follows the plan's fallback.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from invoices.models import Invoice, InvoiceStatus
from localized.dates import format_datetime
from mandates.selectors import held_for_collection_ids
from messaging.delivery import (
    Batch,
    Ready,
    apply_content,
    clean_header,
    contacts_for,
    finish,
    from_email,
    mark_sent,
    message_context,
    release,
    reply_to,
    reply_to_for,
    store_content,
)
from messaging.kinds import KindHandler
from messaging.models import Dispatch, DispatchInvoice, DispatchStatus, StepChannel, TemplatePurpose
from messaging.templating import render_html, render_text
from messaging.texts import Text, text_for
from organizations.services import log_action
from reminders.calendar import next_send_time
from reminders.engine import PlanBook, reschedule, under_follow_up
from reminders.fallback import fall_back_with_task, open_task
from reminders.task_titles import task_title

FOLLOW_UP = "follow_up"  # decided by a plan's step, or sent by hand (`manual`)
MANUAL = "manual"  # the kind of manual reminders in older rows; handled like any follow-up message


@dataclass
class Hold:
    until: datetime
    reason: str
    postpones: bool = False  # the wait moves the scheduled time, so lateness counts from its end


def prepare(dispatch: Dispatch, batch: Batch, now: datetime) -> Ready | None:
    """Re-check a follow-up or manual reminder at send time and render it; None when it was finished here."""
    book = batch.memo(("plan_book", dispatch.organization_id), lambda: PlanBook.load(dispatch.organization))
    if held := _hold(dispatch, book, now):
        return release(dispatch, until=held.until, reason=held.reason, postpones=held.postpones)
    if not dispatch.manual and now - dispatch.scheduled_for > timedelta(days=book.follow_up.lateness_days):
        return finish(dispatch, DispatchStatus.MISSED, _("Could not go out in time; not sent late."))
    held_ids = batch.memo("held_for_collection", lambda: _held(batch))
    listed = _still_owed(dispatch, batch.items[dispatch.pk], held_ids)
    if not listed:
        return finish(dispatch, DispatchStatus.SKIPPED, _nothing_owed_reason(dispatch))
    if dispatch.channel in (StepChannel.TASK, StepChannel.MANUAL, StepChannel.LETTER):
        return _open_task_for_step(dispatch, listed, now)
    text = batch.memo(
        ("text", dispatch.organization_id, purpose_of(dispatch), dispatch.customer.language), lambda: _text(dispatch)
    )
    content = render(
        dispatch, listed, now, contacts=batch.contacts[dispatch.customer_id], text=text, accounts=batch.accounts
    )
    if not content["recipients"]:
        store_content(dispatch, content)
        finish(dispatch, DispatchStatus.FAILED, _("No contact that receives messages has a valid e-mail address."))
        return fall_back_with_task(dispatch, task_title("find_valid_email", customer=dispatch.customer))
    if book.follow_up.test_mode and not dispatch.manual:
        store_content(dispatch, content)
        return finish(dispatch, DispatchStatus.TEST, _("Test mode: rendered and recorded, not sent."))
    apply_content(dispatch, content)  # written with the attempt, before the provider is called
    return Ready(dispatch, listed)


def _held(batch: Batch) -> set[int]:
    """Listed invoices that direct debit takes care of now (one query for the batch)."""
    return held_for_collection_ids([item.invoice_id for listed in batch.items.values() for item in listed])


def _text(dispatch: Dispatch) -> Text:
    language = dispatch.customer.language
    return text_for(organization=dispatch.organization, purpose=purpose_of(dispatch), language=language)


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


def owed_invoices(items: list[DispatchInvoice], held: set[int] | None = None) -> list[Invoice]:
    """The listed invoices that still call for a message now: open, owed, not paused, not left to direct debit
    (`held`: ids a debit is requested for or that wait for collection; read here when not given)."""
    held = held_for_collection_ids([item.invoice_id for item in items]) if held is None else held
    return [item.invoice for item in items if under_follow_up(item.invoice, held=held)]


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


def purpose_of(dispatch: Dispatch) -> str:
    """The message a reminder sends: the one chosen by hand, else its step's."""
    if dispatch.purpose:
        return dispatch.purpose
    return dispatch.step.message_purpose if dispatch.step else TemplatePurpose.REMINDER_1


def render(
    dispatch: Dispatch,
    listed: list[Invoice],
    now: datetime,
    *,
    contacts=None,
    text: Text | None = None,
    accounts: dict | None = None,
) -> dict:
    """Subject, bodies, sender and recipients as they will be sent (`contacts`, `text`, `accounts`: read for a
    batch)."""
    organization = dispatch.organization
    contacts = contacts_for(dispatch) if contacts is None else contacts
    context = message_context(dispatch, listed, now, contacts, with_payment=True, accounts=accounts)
    if text is None:
        text = _text(dispatch)
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
        "subject": clean_header(render_text(subject_text, context))[:300],
        "text_body": render_text(body_text, context),
        "html_body": html_body,
        "from_email": from_email(organization),
        "reply_to": reply_to_for(dispatch),
        "recipients": [contact.email for contact in contacts],
        "cc": [manager] if step and step.cc_account_manager and manager else [],
        "bcc": [reply_to(organization)] if step and step.bcc_sender and reply_to(organization) else [],
        "attachments": (
            [{"invoice": i.pk, "filename": f"{i.number}.pdf"} for i in listed if i.pdf]
            if not step or step.attach_pdfs
            else []
        )
        + qr_codes,
    }


def _open_task_for_step(dispatch: Dispatch, listed: list[Invoice], now: datetime) -> None:
    if dispatch.channel == StepChannel.TASK:
        title = task_title("step_task", step=dispatch.step.name if dispatch.step else "", customer=dispatch.customer)
    elif dispatch.channel == StepChannel.MANUAL:
        title = task_title("decide_next_step", customer=dispatch.customer)
    else:
        title = task_title("send_letter", customer=dispatch.customer)
    open_task(dispatch, title)
    mark_sent(dispatch, listed, now, provider_id="")


def book_sent(sent: list[tuple[Dispatch, list[Invoice]]], now: datetime) -> list[dict]:
    """The invoices a sent reminder listed reached its step's level; one entry per invoice on its timeline."""
    entries: list[dict] = []
    touched: list[int] = []
    by_level: dict[int, list[int]] = defaultdict(list)
    for dispatch, listed in sent:
        invoice_ids = [invoice.pk for invoice in listed]
        touched.extend(invoice_ids)
        if level := (dispatch.step.position if dispatch.step else None):
            by_level[level].extend(invoice_ids)
        code = "invoice.reminder_sent" if dispatch.channel == StepChannel.EMAIL else "invoice.follow_up_task_created"
        with override(dispatch.organization.default_language):
            step = str(dispatch.step or _("Manual reminder"))
        data = {"dispatch": dispatch.pk, "subject": dispatch.subject, "step": step}
        entries.extend(
            {
                "organization": dispatch.organization,
                "subject": invoice,
                "code": code,
                "actor": dispatch.created_by,
                "data": data,
            }
            for invoice in listed
        )
    if touched:
        Invoice.objects.filter(pk__in=touched).update(last_follow_up_at=now)
    for level, invoice_ids in by_level.items():
        Invoice.objects.filter(pk__in=invoice_ids, follow_up_level__lt=level).update(follow_up_level=level)
    # No reschedule: an invoice reaches a step's level when the dispatch is decided (queued counts), so sending
    # it changes neither the level nor what is owed, and `next_follow_up_at` stays as deciding left it.
    return entries


def on_finished(dispatch: Dispatch, status: str, reason: str) -> None:
    """Logged on the carrying invoice; the listed invoices' schedules move on."""
    log_action(
        organization=dispatch.organization,
        subject=dispatch.invoice,
        code=f"invoice.dispatch_{status}",
        data={"dispatch": dispatch.pk, "reason": reason},
    )
    reschedule(invoice_ids=list(dispatch.items.values_list("invoice_id", flat=True)))


def on_failed(dispatch: Dispatch, reason: str) -> None:
    """Refused by the provider: the plan's fallback follows (reminders/fallback.py)."""
    fall_back_with_task(dispatch, task_title("email_refused", customer=dispatch.customer))


FOLLOW_UP_HANDLER = KindHandler(
    kind=FOLLOW_UP,
    label=gettext_lazy("Follow-up"),
    prepare=prepare,
    book_sent=book_sent,
    on_finished=on_finished,
    on_failed=on_failed,
    subject_of=lambda dispatch: dispatch.invoice,
)
MANUAL_HANDLER = KindHandler(
    kind=MANUAL,
    label=gettext_lazy("Manual reminder"),
    prepare=prepare,
    book_sent=book_sent,
    on_finished=on_finished,
    on_failed=on_failed,
    subject_of=lambda dispatch: dispatch.invoice,
)
