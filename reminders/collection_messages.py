"""The direct-debit pre-notification: which invoices will be collected, on which date, under which mandate.

Queued by mandates.collection.batch_build (one per customer and batch) and sent through the exactly-once
outbox. At send time it is skipped when the batch was cancelled or every debit it lists was returned.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext as _

from mandates.models import BatchStatus, CollectionBatch, CollectionItem, DebitStatus
from messaging.delivery import message_context
from messaging.kinds import KindHandler, Rendered
from messaging.models import Dispatch, DispatchKind, TemplatePurpose
from messaging.templating import InvoiceLine, MessageContext, render_html, render_text
from messaging.texts import text_for


def _batch(dispatch: Dispatch) -> CollectionBatch | None:
    batch_id = (dispatch.payload or {}).get("batch")
    return CollectionBatch.objects.filter(organization=dispatch.organization_id, pk=batch_id).first()


def skip_reason(dispatch: Dispatch) -> str:
    batch = _batch(dispatch)
    if batch is None or batch.status == BatchStatus.CANCELLED:
        return _("The direct-debit batch was cancelled.")
    invoice_ids = list(dispatch.items.values_list("invoice_id", flat=True))
    debits = CollectionItem.objects.filter(batch=batch, invoice_id__in=invoice_ids)
    if not debits.exclude(status__in=[DebitStatus.RETURNED, DebitStatus.CANCELLED]).exists():
        return _("Every direct debit in this notice was returned.")
    return ""


def _context(dispatch: Dispatch, now: datetime) -> MessageContext:
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


def render(dispatch: Dispatch, now: datetime) -> Rendered:
    customer = dispatch.customer
    text = text_for(organization=dispatch.organization, purpose=TemplatePurpose.PRE_NOTIFICATION,
                    language=customer.language)  # fmt: skip
    context = _context(dispatch, now)
    return Rendered(subject=render_text(text.subject, context), text_body=render_text(text.body, context),
                    html_body=render_html(text.body, context))  # fmt: skip


PRE_NOTIFICATION_HANDLER = KindHandler(
    kind=DispatchKind.PRE_NOTIFICATION,
    label=DispatchKind.PRE_NOTIFICATION.label,
    skip_reason=skip_reason,
    render=render,
    subject_of=lambda dispatch: dispatch.customer,
    tags=("pre-notification",),
)
