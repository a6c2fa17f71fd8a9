"""Each rule has one definition, in the forms the code needs (ORM, SQL, Python on a loaded invoice), and the forms
select the same rows on the same data: "this invoice is under follow-up" (reminders.engine) and "direct debit
holds this invoice" (mandates.selectors)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from invoices.models import Invoice, InvoiceStatus
from mandates.collection import batch_build, batch_mark_submitted, debit_return
from mandates.selectors import collection_hold_q, collection_hold_sql, held_for_collection_ids
from reminders.engine import under_follow_up, under_follow_up_q, under_follow_up_sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(world, profile, sign, make_customer, make_invoice):
    """One invoice per way of being in or out of follow-up, in organization A."""
    plain, paused, signed, returned, dollars, requested = (make_customer() for _ in range(6))
    made = {
        "owed": make_invoice(plain),
        "paid": make_invoice(plain),
        "nothing open": make_invoice(plain),
        "disputed": make_invoice(plain),
        "paused": make_invoice(paused),
        "waits for collection": make_invoice(signed),
        "not in euro": make_invoice(dollars, currency="USD"),
    }
    Invoice.objects.filter(pk=made["paid"].pk).update(status=InvoiceStatus.PAID, open_amount=Decimal("0.00"))
    Invoice.objects.filter(pk=made["nothing open"].pk).update(open_amount=Decimal("0.00"))
    Invoice.objects.filter(pk=made["disputed"].pk).update(status=InvoiceStatus.DISPUTED)
    Invoice.objects.filter(pk=made["paused"].pk).update(follow_up_paused=True)
    sign(signed)
    sign(dollars)
    # A debit the bank returned: the invoice goes back to follow-up.
    made["returned"] = make_invoice(returned)
    sign(returned)
    batch = batch_build(organization=world.org_a, profile=profile)
    batch_mark_submitted(batch=batch)
    debit_return(item=batch.items.get(invoice=made["returned"]), reason_code="AM04")
    # A debit requested and not returned.
    made["requested"] = make_invoice(requested)
    Invoice.objects.filter(pk=made["requested"].pk).update(collection_requested_at=timezone.now())
    return {name: Invoice.objects.get(pk=invoice.pk) for name, invoice in made.items()}


def selected_by_orm(invoices: dict, condition) -> set[int]:
    ids = [invoice.pk for invoice in invoices.values()]
    return set(Invoice.objects.filter(condition, pk__in=ids).values_list("pk", flat=True))


def selected_by_sql(invoices: dict, condition: str) -> set[int]:
    """The ids among these invoices that `condition` (on the invoice table aliased `i`) selects."""
    table = connection.ops.quote_name(Invoice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT i.id FROM {table} AS i WHERE {condition}")  # noqa: S608 (a condition of our own)
        return {row[0] for row in cursor.fetchall()} & {invoice.pk for invoice in invoices.values()}


def names(invoices: dict, ids: set[int]) -> set[str]:
    return {name for name, invoice in invoices.items() if invoice.pk in ids}


def test_the_collection_hold_reads_the_same_in_the_orm_and_in_sql(invoices):
    orm = selected_by_orm(invoices, collection_hold_q())
    assert names(invoices, orm) == {"waits for collection", "requested"}
    assert selected_by_sql(invoices, collection_hold_sql("i")) == orm
    assert held_for_collection_ids([invoice.pk for invoice in invoices.values()]) == orm


def test_under_follow_up_reads_the_same_in_the_orm_in_sql_and_in_python(invoices):
    orm = selected_by_orm(invoices, under_follow_up_q())
    assert names(invoices, orm) == {"owed", "not in euro", "returned"}
    assert selected_by_sql(invoices, under_follow_up_sql("i")) == orm
    held = held_for_collection_ids([invoice.pk for invoice in invoices.values()])
    assert {invoice.pk for invoice in invoices.values() if under_follow_up(invoice, held=held)} == orm
