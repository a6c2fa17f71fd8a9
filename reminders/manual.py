"""Manual follow-up: "send a reminder now" for one invoice, several invoices of one customer, or in bulk."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices.models import Invoice, InvoiceStatus
from messaging.models import Dispatch, DispatchInvoice, StepChannel, TemplatePurpose
from messaging.templating import validate_text
from organizations.models import Organization
from organizations.services import Actor
from reminders.follow_up_messages import FOLLOW_UP


@transaction.atomic
def reminder_send_now(
    *,
    organization: Organization,
    invoice_ids: list[int],
    actor: Actor,
    purpose: str = TemplatePurpose.REMINDER_1,
    subject: str = "",
    body: str = "",
) -> Dispatch:
    """Queue one e-mail listing these invoices, for delivery right away (no sending window, no plan)."""
    invoices = list(Invoice.objects.filter(organization=organization, pk__in=invoice_ids).select_related("customer"))
    if not invoices or len(invoices) != len(set(invoice_ids)):
        raise ValidationError({"invoices": _("Choose invoices of this organization.")})
    if len({invoice.customer_id for invoice in invoices}) > 1:
        raise ValidationError(
            {"invoices": _("Invoices of different customers cannot share one message; send one per customer.")}
        )
    owed = [i for i in invoices if i.status == InvoiceStatus.OPEN and i.open_amount > 0]
    if len(owed) != len(invoices):
        raise ValidationError({"invoices": _("Only open invoices with something owed can be reminded.")})
    if purpose not in TemplatePurpose.values:
        raise ValidationError({"purpose": _("Choose a message.")})
    for text in (subject, body):
        validate_text(text)
    owed.sort(key=lambda invoice: (invoice.due_date, invoice.pk))
    now = timezone.now()
    dispatch = Dispatch.objects.create(
        organization=organization, kind=FOLLOW_UP, customer=owed[0].customer, invoice=owed[0], manual=True,
        channel=StepChannel.EMAIL,
        purpose=purpose, custom_subject=subject, custom_body=body, scheduled_for=now, next_attempt_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None,
    )  # fmt: skip
    DispatchInvoice.objects.bulk_create(
        [
            DispatchInvoice(organization=organization, dispatch=dispatch, invoice=i, open_amount=i.open_amount)
            for i in owed
        ]
    )
    transaction.on_commit(lambda: _ring(dispatch.pk))
    return dispatch


def _ring(dispatch_id: int) -> None:
    from messaging.tasks import deliver

    deliver.delay(dispatch_id)
