from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def test_days_overdue_follow_the_organizations_calendar(world, api_a):
    invoice = InvoiceFactory(customer=world.a.customer, issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1))
    # 23:30 UTC on 1 December is already 2 December in Brussels: one day overdue there.
    with time_machine.travel(datetime(2026, 12, 1, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        assert api_a.get(f"/api/v1/invoices/{invoice.pk}/").json()["days_overdue"] == 1
    with time_machine.travel(datetime(2026, 12, 1, 22, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        assert api_a.get(f"/api/v1/invoices/{invoice.pk}/").json()["days_overdue"] == 0


def test_paid_invoices_are_never_overdue(world, api_a):
    invoice = InvoiceFactory(
        customer=world.a.customer,
        issue_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        open_amount=0,
        status="paid",
    )
    assert api_a.get(f"/api/v1/invoices/{invoice.pk}/").json()["days_overdue"] == 0
