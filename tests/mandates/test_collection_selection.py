"""What a batch debits: invoices due by the collection date unless asked otherwise, minus what staff excluded,
re-checked when the batch is created; the pre-notification lists exactly those debits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from invoices.services import payment_record
from mailroom.models import StoredEmail
from mandates.collection import CollectionError, batch_build, batch_preview
from mandates.collection_selection import Selection
from mandates.models import Mandate
from organizations.models import ActivityLog

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))  # a Wednesday, inside the sending window
COLLECTION_DATE = date(2026, 12, 17)


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def due_dates(world, profile, make_customer, sign, make_invoice):
    """One customer with invoices due before, on and after 17 December (the last one on 12 January)."""
    customer = make_customer(email="finance@lumen.example")
    sign(customer)
    return customer, {
        "past": make_invoice(customer, amount="100.00", due=date(2026, 11, 20)),
        "on": make_invoice(customer, amount="20.00", due=COLLECTION_DATE),
        "next_day": make_invoice(customer, amount="30.00", due=date(2026, 12, 18)),
        "january": make_invoice(customer, amount="40.00", due=date(2027, 1, 12)),
    }


def numbers(batch) -> set[str]:
    return set(batch.items.values_list("invoice__number", flat=True))


def created_log(batch) -> dict:
    return ActivityLog.objects.get(code="collection.batch_created", subject_id=batch.pk).data


def test_invoices_not_yet_due_are_not_debited_by_default(world, profile, due_dates):
    _customer, invoices = due_dates
    batch = batch_build(organization=world.org_a, profile=profile, collection_date=COLLECTION_DATE)
    assert batch.collection_date == COLLECTION_DATE
    assert numbers(batch) == {invoices["past"].number, invoices["on"].number}
    assert (batch.item_count, batch.total_amount, batch.include_not_yet_due) == (2, Decimal("120.00"), False)
    assert created_log(batch)["include_not_yet_due"] is False
    # The later invoices are still waiting, not requested.
    invoices["january"].refresh_from_db()
    assert invoices["january"].collection_requested_at is None


def test_the_option_debits_invoices_not_yet_due(world, profile, due_dates):
    _customer, invoices = due_dates
    batch = batch_build(
        organization=world.org_a,
        profile=profile,
        collection_date=COLLECTION_DATE,
        selection=Selection(include_not_yet_due=True),
    )
    assert numbers(batch) == {invoice.number for invoice in invoices.values()}
    assert batch.include_not_yet_due is True and created_log(batch)["include_not_yet_due"] is True


def test_only_invoices_not_yet_due_is_nothing_to_collect(world, profile, make_customer, sign, make_invoice):
    customer = make_customer()
    sign(customer)
    make_invoice(customer, due=date(2027, 1, 12))
    with pytest.raises(CollectionError, match="Nothing to collect"):
        batch_build(organization=world.org_a, profile=profile, collection_date=COLLECTION_DATE)


def test_preview_lists_every_debit_with_totals_per_sequence_type(
    world, profile, make_customer, sign, make_invoice, due_dates
):
    first_customer, invoices = due_dates
    collected = make_customer("Orbit NV")
    mandate = sign(collected)
    Mandate.objects.filter(pk=mandate.pk).update(first_collection_at=date(2026, 6, 1))
    recurring = make_invoice(collected, amount="55.50", due=date(2026, 12, 1))
    preview = batch_preview(organization=world.org_a, profile=profile, collection_date=COLLECTION_DATE)
    rows = {
        (
            c.invoice.number,
            c.invoice.due_date,
            c.invoice.open_amount,
            c.sequence_type,
            c.mandate.reference,
            c.mandate.customer.name,
        )
        for c in preview.candidates
    }
    first_reference = Mandate.objects.get(customer=first_customer).reference
    assert rows == {
        (invoices["past"].number, date(2026, 11, 20), Decimal("100.00"), "FRST", first_reference, first_customer.name),
        (invoices["on"].number, COLLECTION_DATE, Decimal("20.00"), "FRST", first_reference, first_customer.name),
        (recurring.number, date(2026, 12, 1), Decimal("55.50"), "RCUR", mandate.reference, collected.name),
    }
    assert [(line.sequence_type, line.count, line.total) for line in preview.by_sequence] == [
        ("FRST", 2, Decimal("120.00")),
        ("RCUR", 1, Decimal("55.50")),
    ]
    assert (preview.count, preview.total, preview.customers, preview.not_yet_due) == (3, Decimal("175.50"), 2, 2)


def test_excluded_invoices_and_customers_are_not_debited(world, profile, make_customer, sign, make_invoice, due_dates):
    _customer, invoices = due_dates
    other = make_customer("Orbit NV")
    sign(other)
    make_invoice(other, due=date(2026, 12, 1))
    make_invoice(other, due=date(2026, 12, 2))
    third = make_customer("Nova BV")
    sign(third)
    kept = make_invoice(third, due=date(2026, 12, 3))
    selection = Selection.of(exclude_invoices=[invoices["on"].pk], exclude_customers=[other.pk])
    preview = batch_preview(
        organization=world.org_a, profile=profile, collection_date=COLLECTION_DATE, selection=selection
    )
    assert (preview.count, preview.excluded_count, len(preview.candidates)) == (2, 3, 5)
    batch = batch_build(organization=world.org_a, profile=profile, collection_date=COLLECTION_DATE, selection=selection)
    assert numbers(batch) == {invoices["past"].number, kept.number}
    assert batch.excluded_count == 3
    log = created_log(batch)
    assert (log["excluded_invoices"], log["excluded_customers"], log["excluded_debits"]) == (1, 1, 3)


def test_an_invoice_paid_after_the_preview_is_dropped_and_reported(
    world, profile, make_customer, sign, make_invoice, due_dates
):
    _customer, invoices = due_dates
    preview = batch_preview(organization=world.org_a, profile=profile, collection_date=COLLECTION_DATE)
    previewed = [candidate.invoice.pk for candidate in preview.candidates]
    payment_record(invoice=invoices["past"], amount=Decimal("100.00"), paid_on=date(2026, 12, 2))
    arrived = make_invoice(invoices["past"].customer, due=date(2026, 11, 30))  # not in the preview
    batch = batch_build(
        organization=world.org_a,
        profile=profile,
        collection_date=COLLECTION_DATE,
        selection=Selection.of(invoice_ids=previewed),
    )
    assert numbers(batch) == {invoices["on"].number}
    assert arrived.number not in numbers(batch)
    assert batch.dropped_invoices == [
        {"invoice": invoices["past"].pk, "number": invoices["past"].number, "reason": "closed"}
    ]
    assert created_log(batch)["dropped"] == [invoices["past"].number]


def run_followups() -> None:
    call_command("run_followups", now=NOW.isoformat(), stdout=StringIO())


def test_pre_notification_lists_exactly_the_debits(world, profile, make_customer, sign, make_invoice, due_dates):
    customer, invoices = due_dates
    excluded = make_customer("Orbit NV", email="orbit@orbit.example")
    sign(excluded)
    make_invoice(excluded)
    selection = Selection.of(
        include_not_yet_due=True, exclude_invoices=[invoices["past"].pk], exclude_customers=[excluded.pk]
    )
    batch = batch_build(organization=world.org_a, profile=profile, collection_date=COLLECTION_DATE, selection=selection)
    run_followups()
    (mail,) = [m for m in StoredEmail.objects.all() if "finance@lumen.example" in m.to]
    debited = {item.invoice.number: item.amount for item in batch.items.select_related("invoice")}
    assert set(debited) == {invoices["on"].number, invoices["next_day"].number, invoices["january"].number}
    # One line per debit, with the debited amount; nothing else is listed.
    listed = {line.split()[0]: line for line in mail.text_body.splitlines() if line.startswith("INV-")}
    assert set(listed) == set(debited)
    assert all(str(amount) in listed[number] for number, amount in debited.items())
    assert all(number in mail.html_body for number in debited) and invoices["past"].number not in mail.html_body
    assert "90.00" in mail.text_body  # 20 + 30 + 40, the batch's total for this customer
    assert not [m for m in StoredEmail.objects.all() if "orbit@orbit.example" in m.to]
    assert customer.pk == batch.items.values_list("customer_id", flat=True).distinct().get()
