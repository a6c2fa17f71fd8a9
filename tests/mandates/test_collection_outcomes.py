"""After the bank: a paid batch settles invoices; a returned debit sends the invoice back to follow-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoices.models import InvoiceStatus, Payment, PaymentMethod, ReceivablesDay
from invoices.services import payment_record
from mandates.collection import batch_build, batch_download, batch_mark_paid, batch_mark_submitted, debit_return
from mandates.models import BatchStatus, DebitStatus, MandateState
from organizations.models import ActivityLog
from reminders.engine import explain

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected(world, profile, make_customer, sign, make_invoice, dunning):
    customer = make_customer()
    mandate = sign(customer)
    invoice = make_invoice(customer, amount="121.00")
    batch = batch_build(organization=world.org_a, profile=profile)
    return batch, invoice, mandate


def open_total(organization):
    return sum(row.open_amount for row in ReceivablesDay.objects.filter(organization=organization, currency="EUR"))


def test_download_leaves_the_batch_ready_and_submitting_is_explicit(world, collected):
    batch, _invoice, _mandate = collected
    xml = batch_download(batch=batch, actor=world.owner_a.user)
    batch.refresh_from_db()
    assert xml.startswith(b"<?xml") and batch.status == BatchStatus.READY and batch.submitted_at is None
    batch_mark_submitted(batch=batch, actor=world.owner_a.user)
    batch_mark_submitted(batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUBMITTED and batch.submitted_at
    assert ActivityLog.objects.filter(code="collection.batch_submitted", subject_id=batch.pk).count() == 1


def test_paid_batch_records_direct_debit_payments_and_updates_balances(world, collected):
    batch, invoice, mandate = collected
    open_before = open_total(world.org_a)
    batch_mark_submitted(batch=batch)
    batch_mark_paid(batch=batch, paid_on=batch.collection_date, actor=world.owner_a.user)
    invoice.refresh_from_db()
    mandate.refresh_from_db()
    item = batch.items.get()
    assert (invoice.status, invoice.open_amount, invoice.collection_requested_at) == (InvoiceStatus.PAID, 0, None)
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.method, payment.reference, payment.amount) == (PaymentMethod.DIRECT_DEBIT, item.end_to_end_id,
                                                                   Decimal("121.00"))  # fmt: skip
    assert item.status == DebitStatus.PAID
    assert mandate.first_collection_at == mandate.last_collection_at == batch.collection_date
    assert open_total(world.org_a) == open_before - Decimal("121.00")


def test_debit_larger_than_what_is_still_open_books_only_the_open_amount(world, collected):
    batch, invoice, _mandate = collected
    payment_record(invoice=invoice, amount=Decimal("21.00"), paid_on=date(2026, 11, 20))
    batch_mark_paid(batch=batch, paid_on=batch.collection_date)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.get(invoice=invoice, method=PaymentMethod.DIRECT_DEBIT).amount == Decimal("100.00")


def test_return_after_payment_reopens_the_invoice_and_follow_up_picks_it_up(world, collected):
    batch, invoice, mandate = collected
    invoice.refresh_from_db()
    assert "direct debit has been requested" in explain(invoice).reason
    batch_mark_paid(batch=batch, paid_on=batch.collection_date)
    item = batch.items.get()
    debit_return(item=item, reason_code="AM04", actor=world.owner_a.user)
    invoice.refresh_from_db()
    item.refresh_from_db()
    reopened = (InvoiceStatus.OPEN, Decimal("121.00"), None)
    assert (invoice.status, invoice.open_amount, invoice.collection_requested_at) == reopened
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert (item.status, item.return_reason) == (DebitStatus.RETURNED, "AM04")
    assert ActivityLog.objects.filter(code="invoice.payment_reversed", subject_id=invoice.pk).exists()
    assert ActivityLog.objects.filter(code="invoice.debit_returned", subject_id=invoice.pk).exists()
    # Back in dunning: the engine has a next step for it again although the mandate is still signed.
    explanation = explain(invoice)
    assert explanation.step is not None and explanation.reason == ""
    assert invoice.next_follow_up_at is not None
    mandate.refresh_from_db()
    assert mandate.state == MandateState.SIGNED


def test_return_before_the_payment_was_booked_only_releases_the_invoice(world, collected):
    batch, invoice, _mandate = collected
    batch_mark_submitted(batch=batch)
    debit_return(item=batch.items.get(), reason_code="MS02")
    invoice.refresh_from_db()
    assert invoice.collection_requested_at is None and invoice.open_amount == Decimal("121.00")
    # Marking the batch paid later books nothing for the returned debit.
    batch_mark_paid(batch=batch, paid_on=batch.collection_date)
    assert not Payment.objects.filter(invoice=invoice).exists()


@pytest.mark.parametrize("code", ["MD01", "MD07", "AC04"])
def test_returns_that_end_the_mandate_cancel_it(world, collected, code):
    batch, _invoice, mandate = collected
    batch_mark_submitted(batch=batch)
    debit_return(item=batch.items.get(), reason_code=code)
    mandate.refresh_from_db()
    assert mandate.state == MandateState.CANCELLED and code in mandate.cancel_reason
