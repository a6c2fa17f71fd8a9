"""Building a direct-debit batch: which invoices, which date, FRST or RCUR, end-to-end ids, the XSD."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from invoices.models import Invoice
from mandates.collection import (
    CollectionError,
    batch_build,
    batch_cancel,
    debit_return,
    earliest_collection_date,
    requested_collection_date,
)
from mandates.models import BatchStatus, CollectionBatch, DebitStatus, Mandate, PainVersion
from mandates.sepa import validate_pain008
from mandates.target2 import is_target2_business_day, next_target2_business_day
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db


def test_target2_is_closed_on_weekends_and_its_six_holidays():
    closed = [date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2026, 5, 1), date(2026, 12, 25),
              date(2026, 12, 26), date(2026, 11, 28), date(2026, 11, 29)]  # fmt: skip
    assert not any(is_target2_business_day(day) for day in closed)
    # Easter 2027 is 28 March: Good Friday 26 March, Easter Monday 29 March; national holidays stay open.
    assert is_target2_business_day(date(2027, 3, 30)) and is_target2_business_day(date(2026, 7, 21))
    assert next_target2_business_day(date(2026, 12, 24)) == date(2026, 12, 24)
    assert next_target2_business_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert next_target2_business_day(date(2027, 3, 26)) == date(2027, 3, 30)


def test_requested_date_respects_the_pre_notification_period_and_moves_to_a_business_day(profile):
    profile.pre_notification_days = 14
    # 11 December + 14 days = Christmas (closed), then a weekend: Monday 28 December.
    assert earliest_collection_date(profile=profile, today=date(2026, 12, 11)) == date(2026, 12, 28)
    # An earlier wish is not allowed; a later one on a Saturday moves to Monday.
    today = date(2026, 11, 23)
    assert requested_collection_date(profile=profile, today=today, wanted=date(2026, 11, 25)) == date(2026, 12, 7)
    assert requested_collection_date(profile=profile, today=today, wanted=date(2026, 12, 12)) == date(2026, 12, 14)


def test_batch_collects_open_euro_invoices_of_signed_customers_only(world, profile, make_customer, sign, make_invoice):
    signed = make_customer()
    sign(signed)
    first, second = make_invoice(signed, amount="121.00"), make_invoice(signed, amount="50.00")
    make_invoice(signed, currency="USD")
    unsigned = make_customer()
    make_invoice(unsigned)
    batch = batch_build(organization=world.org_a, profile=profile, actor=world.owner_a.user)
    assert batch.status == BatchStatus.READY
    assert set(batch.items.values_list("invoice__number", flat=True)) == {first.number, second.number}
    assert (batch.item_count, batch.total_amount) == (2, Decimal("171.00"))
    assert batch.collection_date >= earliest_collection_date(profile=profile, today=date.today())
    assert is_target2_business_day(batch.collection_date)
    first.refresh_from_db()
    assert first.collection_requested_at is not None
    assert ActivityLog.objects.filter(code="invoice.collection_requested", subject_id=first.pk).exists()
    # Nothing is collected twice.
    with pytest.raises(CollectionError, match="Nothing to collect"):
        batch_build(organization=world.org_a, profile=profile)


def test_nothing_collectable_is_refused_and_stores_nothing(world, profile, make_customer, make_invoice):
    make_invoice(make_customer())
    before = CollectionBatch.objects.count()
    with pytest.raises(CollectionError, match="Nothing to collect"):
        batch_build(organization=world.org_a, profile=profile)
    assert CollectionBatch.objects.count() == before


def test_newest_signed_mandate_is_used(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    newest = sign(customer, account="DE89370400440532013000")
    make_invoice(customer)
    batch = batch_build(organization=world.org_a, profile=profile)
    assert batch.items.get().mandate == newest
    assert b"DE89370400440532013000" in bytes(batch.xml)


@pytest.mark.parametrize("version", [PainVersion.V02, PainVersion.V08])
def test_stored_file_validates_against_its_schema(world, profile, make_customer, sign, make_invoice, version):
    profile.pain_version = version
    profile.save()
    customer = make_customer("Müller & Söhne")
    sign(customer)
    make_invoice(customer)
    batch = batch_build(organization=world.org_a, profile=profile)
    xml = bytes(batch.xml)
    validate_pain008(xml, version)
    assert f"urn:iso:std:iso:20022:tech:xsd:{version}".encode() in xml
    assert batch.pain_version == version and len(batch.xml_sha256) == 64
    assert batch.message_id.encode() in xml


def test_a_file_the_bank_would_refuse_is_not_stored(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer, account="BE68539007547035")  # wrong check digits
    invoice = make_invoice(customer)
    before = CollectionBatch.objects.count()
    with pytest.raises(CollectionError, match=invoice.number):
        batch_build(organization=world.org_a, profile=profile)
    invoice.refresh_from_db()
    assert invoice.collection_requested_at is None and CollectionBatch.objects.count() == before


def test_first_collection_is_frst_then_rcur(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    make_invoice(customer)
    first = batch_build(organization=world.org_a, profile=profile)
    assert list(first.items.values_list("sequence_type", flat=True)) == ["FRST"]
    assert b"<SeqTp>FRST</SeqTp>" in bytes(first.xml)
    make_invoice(customer)
    second = batch_build(organization=world.org_a, profile=profile)
    assert list(second.items.values_list("sequence_type", flat=True)) == ["RCUR"]


def test_rcur_when_the_profile_does_not_use_frst_or_the_mandate_was_collected(
    world, profile, make_customer, sign, make_invoice
):
    profile.use_frst = False
    profile.save()
    fresh = make_customer()
    sign(fresh)
    make_invoice(fresh)
    assert list(
        batch_build(organization=world.org_a, profile=profile).items.values_list("sequence_type", flat=True)
    ) == ["RCUR"]
    profile.use_frst = True
    profile.save()
    collected = make_customer()
    mandate = sign(collected)
    Mandate.objects.filter(pk=mandate.pk).update(first_collection_at=date(2026, 1, 5))
    make_invoice(collected)
    assert list(
        batch_build(organization=world.org_a, profile=profile).items.values_list("sequence_type", flat=True)
    ) == ["RCUR"]


def test_end_to_end_ids_are_unique_short_and_sepa_safe(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    invoice = make_invoice(customer)
    Invoice.objects.filter(pk=invoice.pk).update(number="2026/Ü_Very-long-invoice-number-0000001")
    first = batch_build(organization=world.org_a, profile=profile).items.get()
    batch_cancel(batch=first.batch)
    second = batch_build(organization=world.org_a, profile=profile).items.get()
    for item in (first, second):
        assert len(item.end_to_end_id) <= 35
        assert re.fullmatch(r"[A-Za-z0-9/\-?:().,'+ ]+", item.end_to_end_id)
        assert item.end_to_end_id.startswith("2026")
    assert first.end_to_end_id != second.end_to_end_id


def test_cancelled_batch_releases_its_invoices(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    invoice = make_invoice(customer)
    batch = batch_build(organization=world.org_a, profile=profile)
    batch_cancel(batch=batch, actor=world.owner_a.user)
    batch.refresh_from_db()
    invoice.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED and invoice.collection_requested_at is None
    assert batch.items.get().status == DebitStatus.CANCELLED
    assert ActivityLog.objects.filter(code="collection.batch_cancelled", subject_id=batch.pk).exists()
    # Available for the next batch.
    assert batch_build(organization=world.org_a, profile=profile).item_count == 1


def test_submitted_batch_cannot_be_cancelled_and_unsubmitted_debit_cannot_return(
    world, profile, make_customer, sign, make_invoice
):
    from mandates.collection import batch_mark_submitted

    customer = make_customer()
    sign(customer)
    make_invoice(customer)
    batch = batch_build(organization=world.org_a, profile=profile)
    with pytest.raises(CollectionError):
        debit_return(item=batch.items.get(), reason_code="AM04")
    batch_mark_submitted(batch=batch)
    with pytest.raises(CollectionError):
        batch_cancel(batch=batch)
    with pytest.raises(CollectionError, match="XX01"):
        debit_return(item=batch.items.get(), reason_code="XX01")


def test_explicit_invoice_ids_restrict_the_batch(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    wanted, other = make_invoice(customer), make_invoice(customer)
    batch = batch_build(organization=world.org_a, profile=profile, invoice_ids=[wanted.pk, world.b.invoice.pk],
                        collection_date=date.today() + timedelta(days=30))  # fmt: skip
    assert list(batch.items.values_list("invoice", flat=True)) == [wanted.pk]
    other.refresh_from_db()
    assert other.collection_requested_at is None
