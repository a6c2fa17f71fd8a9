"""Two requests creating an invoice with the same payment reference at the same moment: the second gets the
field error a person can act on, not a server error (PostgreSQL: a real second connection holds the row)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from invoices.services import invoice_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second connection that holds a row lock"),
]

REFERENCE = "+++090/9337/55493+++"


def create(world, number: str):
    return invoice_create(
        organization=world.org_a,
        customer=world.a.customer,
        number=number,
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        amount=Decimal("10"),
        payment_reference=REFERENCE,
    )


def test_the_second_of_two_simultaneous_creates_with_one_reference_gets_a_field_error(world):
    inserted, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                create(world, "RACE-1")
                inserted.set()
                release.wait(10)  # still uncommitted: the second request's check cannot see this row
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert inserted.wait(10)
    threading.Timer(0.5, release.set).start()  # commit while the second insert waits on the unique index
    with pytest.raises(ValidationError) as refusal:
        create(world, "RACE-2")
    thread.join(10)
    assert refusal.value.message_dict == {"payment_reference": ["Another invoice already has this payment reference."]}
