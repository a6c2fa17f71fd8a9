"""The messages mandates send through the outbox: the signed copy for the debtor, and the direct-debit
pre-notification (which invoices will be collected, on which date, under which mandate).

The signed copy (kind `mandate_signed`) is queued by mandates.services.mandate_sign; it is skipped at send time
when the mandate is no longer signed or has no PDF. The pre-notification (kind `pre_notification`) is queued by
mandates.collection.batch_build, one per customer and batch; it is skipped when the batch was cancelled or every
debit it lists was returned. Both handlers are registered in MandatesConfig.ready; messaging/delivery.py sends
them exactly once.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mandates.models import (
    BatchStatus,
    CollectionBatch,
    CollectionItem,
    DebitStatus,
    Mandate,
    MandateDocument,
    MandateState,
)
from messaging.delivery import message_context
from messaging.kinds import KindHandler, Rendered, subject_record
from messaging.models import Dispatch, TemplatePurpose
from messaging.templating import InvoiceLine, MessageContext, render_html, render_text
from messaging.texts import text_for

MANDATE_SIGNED = "mandate_signed"
PRE_NOTIFICATION = "pre_notification"

STILL_SIGNED = (MandateState.SIGNED, MandateState.SUSPENDED)


def _signed_skip_reason(dispatch: Dispatch) -> str:
    mandate = subject_record(dispatch, Mandate)
    if mandate is None or mandate.state not in STILL_SIGNED:
        return _("The mandate is no longer signed.")
    if not MandateDocument.objects.filter(mandate=mandate).exists():
        return _("The signed mandate has no PDF.")
    return ""


def _signed_render(dispatch: Dispatch, now: datetime) -> Rendered:
    mandate, organization = subject_record(dispatch, Mandate), dispatch.organization
    # In the language the debtor signed in, like the attached PDF (not necessarily the customer's language).
    language = mandate.document_language
    text = text_for(organization=organization, purpose=TemplatePurpose.MANDATE_SIGNED, language=language)
    context = message_context(dispatch, [], now)
    context.language = language
    context.signed_at = mandate.signed_at
    document = MandateDocument.objects.get(mandate=mandate)
    return Rendered(
        subject=render_text(text.subject, context),
        text_body=render_text(text.body, context),
        html_body=render_html(text.body, context),
        attachments=[(f"mandate-{mandate.reference}.pdf", bytes(document.pdf), "application/pdf")],
    )


SIGNED_COPY_HANDLER = KindHandler(
    kind=MANDATE_SIGNED,
    label=gettext_lazy("Signed mandate"),
    skip_reason=_signed_skip_reason,
    render=_signed_render,
    subject_of=lambda dispatch: subject_record(dispatch, Mandate),
    tags=("mandate-signed",),
)


def _batch(dispatch: Dispatch) -> CollectionBatch | None:
    batch_id = (dispatch.payload or {}).get("batch")
    return CollectionBatch.objects.filter(organization=dispatch.organization_id, pk=batch_id).first()


def _notice_skip_reason(dispatch: Dispatch) -> str:
    batch = _batch(dispatch)
    if batch is None or batch.status == BatchStatus.CANCELLED:
        return _("The direct-debit batch was cancelled.")
    invoice_ids = list(dispatch.items.values_list("invoice_id", flat=True))
    debits = CollectionItem.objects.filter(batch=batch, invoice_id__in=invoice_ids)
    if not debits.exclude(status__in=[DebitStatus.RETURNED, DebitStatus.CANCELLED]).exists():
        return _("Every direct debit in this notice was returned.")
    return ""


def _notice_context(dispatch: Dispatch, now: datetime) -> MessageContext:
    payload = dispatch.payload or {}
    listed = [item.invoice for item in dispatch.items.select_related("invoice").order_by("invoice__due_date", "id")]
    context = message_context(dispatch, listed, now)
    amounts = dict(dispatch.items.values_list("invoice_id", "open_amount"))
    today = now.astimezone(dispatch.organization.zone).date()
    # The amounts to be collected, as in the batch, not what is open at send time.
    context.invoices = [
        InvoiceLine(i.number, i.due_date, max((today - i.due_date).days, 0), amounts[i.pk], i.currency) for i in listed
    ]
    context.collection_date = date.fromisoformat(payload["collection_date"]) if payload.get("collection_date") else None
    context.mandate_reference = payload.get("mandate_reference", "")
    context.creditor_id = payload.get("creditor_id", "")
    return context


def _notice_render(dispatch: Dispatch, now: datetime) -> Rendered:
    customer = dispatch.customer
    text = text_for(
        organization=dispatch.organization, purpose=TemplatePurpose.PRE_NOTIFICATION, language=customer.language
    )
    context = _notice_context(dispatch, now)
    return Rendered(
        subject=render_text(text.subject, context),
        text_body=render_text(text.body, context),
        html_body=render_html(text.body, context),
    )


PRE_NOTIFICATION_HANDLER = KindHandler(
    kind=PRE_NOTIFICATION,
    label=gettext_lazy("Direct-debit pre-notification"),
    skip_reason=_notice_skip_reason,
    render=_notice_render,
    subject_of=lambda dispatch: dispatch.customer,
    tags=("pre-notification",),
)
