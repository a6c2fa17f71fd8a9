"""Direct-debit collection: build a pain.008 batch from open invoices, then follow it to paid or returned.

Life of a batch (mandates.models.BatchStatus): ready (built and XSD-valid) -> submitted (downloaded or
marked as sent to the bank) -> paid (the bank collected; payments recorded). A ready batch can be cancelled,
which releases its invoices. A debit (CollectionItem) is requested, then paid, returned (with an R-transaction
reason code) or cancelled with its batch.

While a debit is requested its invoice carries `collection_requested_at` and the follow-up engine leaves it
alone; a return clears it, so follow-up picks the invoice up again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from invoices.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from invoices.services import payment_record, payment_reverse
from invoices.signals import invoices_changed
from mandates.collection_selection import (
    Candidate,
    Preview,
    Selection,
    candidates_for,
    collectable_invoices,
    dropped_invoices,
)
from mandates.messages import PRE_NOTIFICATION
from mandates.models import (
    BatchStatus,
    CollectionBatch,
    CollectionItem,
    DebitStatus,
    Mandate,
    MandateProfile,
    MandateState,
)
from mandates.returns import MANDATE_ENDING_REASONS, RETURN_REASONS
from mandates.sepa import Collection, Creditor, SepaError, build_pain008
from mandates.services import mandate_transition
from mandates.signals import mandate_ended
from mandates.target2 import next_target2_business_day
from messaging.kinds import Outgoing, about, queue_messages
from organizations.models import Organization
from organizations.services import Actor, log_action, log_actions_bulk

# Characters of the invoice number kept in an end-to-end id; the rest identifies invoice and batch.
E2E_NUMBER_LENGTH = 20
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class CollectionError(Exception):
    """A batch cannot be built or changed; `message` is for people, `details` lists schema errors."""

    def __init__(self, message: Any, *, details: tuple[str, ...] = ()) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.details = tuple(details)


# Dates -------------------------------------------------------------------------------------------


def organization_today(organization: Organization) -> date:
    return timezone.now().astimezone(organization.zone).date()


def earliest_collection_date(*, profile: MandateProfile, today: date) -> date:
    """The first date a new batch may collect on: after the pre-notification period, on a TARGET2 day."""
    return next_target2_business_day(today + timedelta(days=max(profile.pre_notification_days, 1)))


def requested_collection_date(*, profile: MandateProfile, today: date, wanted: date | None) -> date:
    earliest = earliest_collection_date(profile=profile, today=today)
    return next_target2_business_day(max(wanted, earliest)) if wanted else earliest


# Previewing --------------------------------------------------------------------------------------


def batch_preview(
    *, organization: Organization, profile: MandateProfile, collection_date: date | None = None,
    selection: Selection | None = None,
) -> Preview:  # fmt: skip
    """What `batch_build` would collect now with this date and selection; writes nothing."""
    selection = selection or Selection()
    today = organization_today(organization)
    day = requested_collection_date(profile=profile, today=today, wanted=collection_date)
    candidates = candidates_for(organization=organization, profile=profile, collection_date=day, selection=selection)
    preview = Preview(
        collection_date=day,
        earliest_date=earliest_collection_date(profile=profile, today=today),
        include_not_yet_due=selection.include_not_yet_due,
        excluded_customers=selection.exclude_customers,
        candidates=candidates,
    )
    if not selection.include_not_yet_due:
        preview.not_yet_due = (
            collectable_invoices(organization=organization, profile=profile, invoice_ids=selection.invoice_ids)
            .filter(due_date__gt=day)
            .count()
        )
    return preview


# Building ----------------------------------------------------------------------------------------


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, remainder = divmod(number, 36)
        digits = _BASE36[remainder] + digits
        if not number:
            return digits


def end_to_end_id(*, invoice_number: str, invoice_id: int, batch_id: int) -> str:
    """`<invoice number>-<invoice id>-<batch id>` (ids in base 36): unique per organization, at most 35
    SEPA characters, and a person still recognises the invoice in the bank's statement."""
    number = "".join(c if c.isascii() and c.isalnum() else "-" for c in invoice_number).strip("-")
    number = "-".join(part for part in number.split("-") if part)[:E2E_NUMBER_LENGTH].rstrip("-")
    suffix = f"{_base36(invoice_id)}-{_base36(batch_id)}"
    return f"{number}-{suffix}" if number else suffix


def _mandate_date(mandate: Mandate, organization: Organization) -> date:
    signed = mandate.signed_at or mandate.created_at
    return signed.astimezone(organization.zone).date()


def _descriptions(languages: set[str]) -> dict[str, str]:
    """The remittance text pattern per debtor language ("Invoice 2026-001")."""
    patterns = {}
    for language in languages:
        with override(language or "en"):
            patterns[language] = _("Invoice %(number)s")
    return patterns


@dataclass
class _Draft:
    invoices: list[Invoice]
    mandates: dict[int, Mandate]
    items: list[CollectionItem] = field(default_factory=list)
    collections: list[Collection] = field(default_factory=list)


def _draft(*, organization, batch, candidates: list[Candidate], collection_date: date) -> _Draft:
    draft = _Draft(
        invoices=[c.invoice for c in candidates], mandates={c.mandate.customer_id: c.mandate for c in candidates}
    )
    descriptions = _descriptions({c.mandate.customer.language for c in candidates})
    for candidate in candidates:
        invoice, mandate, sequence = candidate.invoice, candidate.mandate, candidate.sequence_type
        e2e = end_to_end_id(invoice_number=invoice.number, invoice_id=invoice.pk, batch_id=batch.pk)
        draft.items.append(CollectionItem(
            organization=organization, batch=batch, invoice_id=invoice.pk, mandate=mandate,
            customer_id=invoice.customer_id, amount=invoice.open_amount, end_to_end_id=e2e, sequence_type=sequence,
        ))  # fmt: skip
        draft.collections.append(Collection(
            end_to_end_id=e2e, amount=invoice.open_amount, currency=invoice.currency,
            debtor_name=mandate.debtor_name or mandate.customer.name, debtor_iban=mandate.iban,
            debtor_bic=mandate.bic or None, mandate_reference=mandate.reference,
            mandate_date=_mandate_date(mandate, organization), sequence_type=sequence,
            collection_date=collection_date,
            description=descriptions[mandate.customer.language] % {"number": invoice.number},
        ))  # fmt: skip
    return draft


def _creditor(profile: MandateProfile, organization: Organization) -> Creditor:
    return Creditor(name=profile.creditor_name or organization.name, iban=profile.creditor_iban,
                    bic=profile.creditor_bic or None, creditor_id=profile.creditor_id)  # fmt: skip


def _build_xml(*, profile, organization, batch, draft: _Draft, today: date) -> bytes:
    try:
        return build_pain008(
            creditor=_creditor(profile, organization), collections=draft.collections, version=profile.pain_version,
            today=today, scheme=profile.scheme, message_id=f"COLLECT-{organization.pk}-{batch.pk}",
        )  # fmt: skip
    except SepaError as error:
        raise CollectionError(
            _("The direct-debit file could not be built: %(error)s") % {"error": _sepa_error_text(error, draft)},
            details=error.details,
        ) from None


def _sepa_error_text(error: SepaError, draft: _Draft) -> str:
    """The error with the debit it concerns named by invoice number instead of `collections[12]`."""
    text = str(error.message)
    if error.field and error.field.startswith("collections["):
        index = int(error.field.split("[", 1)[1].split("]", 1)[0])
        return _("invoice %(number)s: %(error)s") % {"number": draft.invoices[index].number, "error": text}
    if error.field:
        return f"{error.field}: {text}"
    return text


def batch_build(
    *, organization: Organization, profile: MandateProfile, collection_date: date | None = None,
    invoice_ids: Iterable[int] | None = None, selection: Selection | None = None, actor: Actor = None,
) -> CollectionBatch:  # fmt: skip
    """Build, validate and store a batch of debits; mark its invoices; queue one pre-notification per customer.

    The debits are the preview's (`batch_preview` with the same date and selection) minus the exclusions,
    re-checked inside the transaction: an invoice of `selection.invoice_ids` that was paid, closed or requested
    meanwhile (or is not yet due) is dropped and listed in `batch.dropped_invoices`. One transaction: a file that
    does not validate stores nothing. Raises CollectionError when nothing is collectable or the file is refused.
    """
    if profile.organization_id != organization.pk:
        raise CollectionError(_("This mandate profile belongs to another organization."))
    selection = selection or Selection()
    if invoice_ids is not None:
        selection = replace(selection, invoice_ids=frozenset(invoice_ids))
    try:
        with transaction.atomic():
            return _batch_build(
                organization=organization, profile=profile, wanted=collection_date, selection=selection, actor=actor
            )
    except IntegrityError:
        raise CollectionError(
            _(
                "Some of these invoices changed while the batch was being created (another batch or a payment). "
                "Please try again."
            )
        ) from None


def _batch_build(*, organization, profile, wanted, selection: Selection, actor) -> CollectionBatch:
    today = organization_today(organization)
    collection_date = requested_collection_date(profile=profile, today=today, wanted=wanted)
    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    candidates = candidates_for(
        organization=organization, profile=profile, collection_date=collection_date, selection=selection
    )
    chosen = [candidate for candidate in candidates if not candidate.excluded]
    if not chosen:
        raise CollectionError(
            _("Nothing to collect: no open euro invoices of customers with a signed mandate under “%(profile)s” "
              "are waiting for collection.") % {"profile": profile.name}
        )  # fmt: skip
    dropped = dropped_invoices(
        organization=organization, selection=selection, candidates=candidates, collection_date=collection_date
    )
    batch = CollectionBatch.objects.create(
        organization=organization,
        profile=profile,
        collection_date=collection_date,
        pain_version=profile.pain_version,
        created_by=user,
        include_not_yet_due=selection.include_not_yet_due,
        excluded_count=len(candidates) - len(chosen),
        dropped_invoices=dropped,
    )
    draft = _draft(organization=organization, batch=batch, candidates=chosen, collection_date=collection_date)
    xml = _build_xml(profile=profile, organization=organization, batch=batch, draft=draft, today=today)
    CollectionItem.objects.bulk_create(draft.items, batch_size=2000)
    now = timezone.now()
    ids = [invoice.pk for invoice in draft.invoices]
    marked = sum(
        # Conditional: an invoice requested by another batch or paid since it was selected is not marked,
        # and the whole batch is rolled back (IntegrityError below).
        Invoice.objects.filter(pk__in=ids[start : start + 2000], collection_requested_at__isnull=True,
                               status=InvoiceStatus.OPEN, open_amount__gt=0)
        .update(collection_requested_at=now, next_follow_up_at=None)
        for start in range(0, len(ids), 2000)
    )  # fmt: skip
    if marked != len(ids):
        raise IntegrityError("an invoice was requested by another batch or paid meanwhile")
    batch.message_id = f"COLLECT-{organization.pk}-{batch.pk}"
    batch.xml, batch.xml_sha256 = xml, hashlib.sha256(xml).hexdigest()
    batch.item_count, batch.total_amount = len(draft.items), sum((i.amount for i in draft.items), Decimal("0"))
    batch.save(update_fields=["message_id", "xml", "xml_sha256", "item_count", "total_amount"])
    _log_created(batch=batch, draft=draft, selection=selection, actor=actor)
    _queue_pre_notifications(batch=batch, draft=draft, actor=actor, now=now)
    return batch


def _log_created(*, batch: CollectionBatch, draft: _Draft, selection: Selection, actor: Actor) -> None:
    data = {"batch": batch.pk, "collection_date": batch.collection_date.isoformat()}
    log_actions_bulk(
        organization=batch.organization,
        subjects=draft.invoices,
        code="invoice.collection_requested",
        actor=actor,
        data=data,
    )
    log_action(
        organization=batch.organization,
        subject=batch,
        code="collection.batch_created",
        actor=actor,
        data={
            **data,
            "debits": batch.item_count,
            "total": str(batch.total_amount),
            "currency": "EUR",
            "include_not_yet_due": batch.include_not_yet_due,
            "excluded_debits": batch.excluded_count,
            "excluded_invoices": len(selection.exclude_invoices),
            "excluded_customers": len(selection.exclude_customers),
            "dropped": [entry["number"] for entry in batch.dropped_invoices],
        },
    )


def _queue_pre_notifications(*, batch: CollectionBatch, draft: _Draft, actor, now: datetime) -> int:
    per_customer: dict[int, list[CollectionItem]] = defaultdict(list)
    for item in draft.items:
        per_customer[item.customer_id].append(item)
    profile = batch.profile
    messages = [
        Outgoing(
            customer_id=customer_id, dedupe_key=f"pre-notification:{batch.pk}:{customer_id}",
            subject=about(Mandate, items[0].mandate_id),
            invoice_amounts=tuple((item.invoice_id, item.amount) for item in items),
            payload={"batch": batch.pk, "collection_date": batch.collection_date.isoformat(),
                     "mandate_reference": draft.mandates[customer_id].reference, "creditor_id": profile.creditor_id},
        )
        for customer_id, items in per_customer.items()
    ]  # fmt: skip
    return queue_messages(organization=batch.organization, kind=PRE_NOTIFICATION, messages=messages, actor=actor,
                          when=now)  # fmt: skip


# Following a batch ---------------------------------------------------------------------------------


def _locked(batch: CollectionBatch) -> CollectionBatch:
    return CollectionBatch.objects.select_for_update().select_related("organization", "profile").get(pk=batch.pk)


@transaction.atomic
def batch_mark_submitted(*, batch: CollectionBatch, actor: Actor = None) -> CollectionBatch:
    """The file went to the bank. Idempotent: an already submitted (or paid) batch is left as it is."""
    batch = _locked(batch)
    if batch.status == BatchStatus.CANCELLED:
        raise CollectionError(_("This batch was cancelled; its file must not be sent to the bank."))
    if batch.status != BatchStatus.READY:
        return batch
    batch.status, batch.submitted_at = BatchStatus.SUBMITTED, timezone.now()
    batch.save(update_fields=["status", "submitted_at"])
    log_action(organization=batch.organization, subject=batch, code="collection.batch_submitted", actor=actor)
    return batch


def batch_download(*, batch: CollectionBatch, actor: Actor = None) -> bytes:
    """The pain.008 file. Reading it changes nothing about the batch: submitting it to the bank is an explicit
    step (`batch_mark_submitted`), so a download (a GET, possibly by a read-only key) cannot stop a cancel."""
    if batch.status == BatchStatus.CANCELLED:
        raise CollectionError(_("This batch was cancelled; its file must not be sent to the bank."))
    log_action(organization=batch.organization, subject=batch, code="collection.batch_downloaded", actor=actor)
    return bytes(batch.xml)


@transaction.atomic
def batch_cancel(*, batch: CollectionBatch, actor: Actor = None) -> CollectionBatch:
    """Withdraw a batch that has not gone to the bank: its debits are cancelled and its invoices released."""
    batch = _locked(batch)
    if batch.status != BatchStatus.READY:
        raise CollectionError(_("Only a batch that has not been submitted to the bank can be cancelled."))
    items = CollectionItem.objects.filter(batch=batch, status=DebitStatus.REQUESTED)
    invoice_ids = list(items.values_list("invoice_id", flat=True))
    items.update(status=DebitStatus.CANCELLED)
    Invoice.objects.filter(pk__in=invoice_ids).update(collection_requested_at=None)
    batch.status = BatchStatus.CANCELLED
    batch.save(update_fields=["status"])
    log_action(organization=batch.organization, subject=batch, code="collection.batch_cancelled", actor=actor)
    log_actions_bulk(organization=batch.organization, subjects=list(Invoice.objects.filter(pk__in=invoice_ids)),
                     code="invoice.collection_released", actor=actor, data={"batch": batch.pk})  # fmt: skip
    _invoices_changed(invoice_ids)
    return batch


def _invoices_changed(invoice_ids: list[int]) -> None:
    """Follow-up recomputes its schedule for these invoices (as the invoice services do, in the transaction)."""
    if invoice_ids:
        invoices_changed.send(sender=Invoice, invoice_ids=list(invoice_ids))


@transaction.atomic
def batch_mark_paid(*, batch: CollectionBatch, paid_on: date, actor: Actor = None) -> CollectionBatch:
    """The bank collected the batch: a direct-debit payment per requested debit (reference: its end-to-end id).

    A debit larger than what is still open (the customer also paid by transfer) is booked up to the open amount;
    an invoice with nothing open left gets no payment.
    """
    batch = _locked(batch)
    if batch.status == BatchStatus.READY:
        batch_mark_submitted(batch=batch, actor=actor)
        batch.refresh_from_db()
    if batch.status != BatchStatus.SUBMITTED:
        raise CollectionError(_("Only a batch submitted to the bank can be marked as paid."))
    items = list(CollectionItem.objects.filter(batch=batch, status=DebitStatus.REQUESTED).select_related("invoice"))
    for item in items:
        _book_debit(item, paid_on=paid_on, actor=actor)
    CollectionItem.objects.filter(pk__in=[item.pk for item in items]).update(status=DebitStatus.PAID)
    Invoice.objects.filter(pk__in=[item.invoice_id for item in items]).update(collection_requested_at=None)
    mandate_ids = {item.mandate_id for item in items}
    Mandate.objects.filter(pk__in=mandate_ids, first_collection_at__isnull=True).update(
        first_collection_at=batch.collection_date
    )
    Mandate.objects.filter(pk__in=mandate_ids).update(last_collection_at=batch.collection_date)
    batch.status, batch.paid_at = BatchStatus.PAID, timezone.now()
    batch.save(update_fields=["status", "paid_at"])
    log_action(organization=batch.organization, subject=batch, code="collection.batch_paid", actor=actor,
               data={"paid_on": paid_on.isoformat(), "debits": len(items)})  # fmt: skip
    _invoices_changed([item.invoice_id for item in items])
    return batch


def _book_debit(item: CollectionItem, *, paid_on: date, actor: Actor) -> Payment | None:
    invoice = Invoice.objects.get(pk=item.invoice_id)
    amount = min(item.amount, invoice.open_amount)
    if amount <= 0 or invoice.status in (InvoiceStatus.PAID, InvoiceStatus.CREDITED, InvoiceStatus.WRITTEN_OFF):
        return None
    return payment_record(invoice=invoice, amount=amount, paid_on=paid_on, method=PaymentMethod.DIRECT_DEBIT,
                          reference=item.end_to_end_id, actor=actor)  # fmt: skip


@transaction.atomic
def debit_return(*, item: CollectionItem, reason_code: str, actor: Actor = None) -> CollectionItem:
    """The bank rejected, returned or refunded this debit (R-transaction with `reason_code`).

    A booked payment is reversed (the amount is owed again), the invoice leaves collection so follow-up picks
    it up again, and for MD01 (no mandate), MD07 (debtor deceased) and AC04 (account closed) the mandate is
    cancelled: it can never be used again and the customer needs a new one.
    """
    if reason_code not in RETURN_REASONS:
        raise CollectionError(_("“%(code)s” is not a SEPA return reason code.") % {"code": reason_code})
    item = CollectionItem.objects.select_for_update().select_related("batch", "invoice", "mandate").get(pk=item.pk)
    if item.batch.status not in (BatchStatus.SUBMITTED, BatchStatus.PAID):
        raise CollectionError(_("A debit can only be returned once its batch was submitted to the bank."))
    if item.status not in (DebitStatus.REQUESTED, DebitStatus.PAID):
        raise CollectionError(_("This debit was already returned or cancelled."))
    reason = f"{reason_code} {RETURN_REASONS[reason_code]}"
    if item.status == DebitStatus.PAID:
        _reverse_payment(item, reason=reason, actor=actor)
    item.status, item.return_reason, item.returned_at = DebitStatus.RETURNED, reason_code, timezone.now()
    item.save(update_fields=["status", "return_reason", "returned_at"])
    Invoice.objects.filter(pk=item.invoice_id).update(collection_requested_at=None)
    log_action(
        organization=item.organization,
        subject=item.invoice,
        code="invoice.debit_returned",
        actor=actor,
        data={
            "batch": item.batch_id,
            "end_to_end_id": item.end_to_end_id,
            "reason_code": reason_code,
            "amount": str(item.amount),
            "currency": "EUR",
        },
    )
    if reason_code in MANDATE_ENDING_REASONS:
        _end_mandate(item.mandate, reason=reason, actor=actor)
    _invoices_changed([item.invoice_id])
    return item


def _reverse_payment(item: CollectionItem, *, reason: str, actor: Actor) -> None:
    payment = Payment.objects.filter(invoice_id=item.invoice_id, method=PaymentMethod.DIRECT_DEBIT,
                                     reference=item.end_to_end_id).first()  # fmt: skip
    if payment is not None:
        payment_reverse(payment=payment, reason=reason, actor=actor)


def _end_mandate(mandate: Mandate, *, reason: str, actor: Actor) -> None:
    if mandate.state not in (MandateState.SIGNED, MandateState.SUSPENDED):
        return
    cancel_reason = (_("Returned by the bank: %(reason)s") % {"reason": reason})[:300]
    mandate_transition(mandate=mandate, to=MandateState.CANCELLED, actor=actor, cancel_reason=cancel_reason,
                       data={"reason": cancel_reason})  # fmt: skip
    transaction.on_commit(lambda: mandate_ended.send(sender=Mandate, mandate=mandate, actor=actor))


# Hand-over from follow-up to collection -----------------------------------------------------------


def collection_handover(*, mandate: Mandate, actor: Actor = None) -> int:
    """A customer signed: with a profile that collects on signing, their open euro invoices leave follow-up
    and wait for the next batch (the follow-up engine's rule, mandates.selectors.collection_hold_q).
    Logged on the customer's timeline; returns how many invoices were handed over."""
    mandate = Mandate.objects.select_related("profile", "customer", "organization").get(pk=mandate.pk)
    if not mandate.profile.collect_on_signing or mandate.state != MandateState.SIGNED:
        return 0
    ids = list(
        Invoice.objects.filter(customer_id=mandate.customer_id, status=InvoiceStatus.OPEN, open_amount__gt=0,
                               currency="EUR").values_list("pk", flat=True)
    )  # fmt: skip
    log_action(organization=mandate.organization, subject=mandate.customer, code="customer.collection_handover",
               actor=actor, data={"mandate": mandate.reference, "profile": mandate.profile.name,
                                  "invoices": len(ids)})  # fmt: skip
    if ids:
        invoices_changed.send(sender=Invoice, invoice_ids=ids)
    return len(ids)


def collection_resume_follow_up(*, mandate: Mandate) -> int:
    """A mandate ended: the customer's invoices that waited for collection go back to follow-up."""
    ids = list(
        Invoice.objects.filter(customer_id=mandate.customer_id, status=InvoiceStatus.OPEN,
                               collection_requested_at__isnull=True).values_list("pk", flat=True)
    )  # fmt: skip
    if ids:
        invoices_changed.send(sender=Invoice, invoice_ids=ids)
    return len(ids)
