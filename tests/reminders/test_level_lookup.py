"""The level each invoice reached, for a whole page of invoices in one query (Upcoming lists up to 500)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from messaging.models import Dispatch, DispatchInvoice, DispatchStatus
from reminders.engine import taken_levels
from reminders.follow_up_messages import FOLLOW_UP
from reminders.models import FollowUpStep

pytestmark = pytest.mark.django_db


def message(invoice, step, status, *, listing=()):
    dispatch = Dispatch.objects.create(
        kind=FOLLOW_UP,
        organization=invoice.organization,
        customer=invoice.customer,
        invoice=invoice,
        step=step,
        channel="email",
        status=status,
        scheduled_for=timezone.now(),
    )
    for listed in (invoice, *listing):
        DispatchInvoice.objects.create(
            organization=invoice.organization, dispatch=dispatch, invoice=listed, open_amount=listed.open_amount
        )


def test_levels_of_many_invoices_come_from_one_query(plan, make_invoice, django_assert_num_queries):
    steps = {step.position: step for step in FollowUpStep.objects.filter(plan=plan)}
    sent, failed, grouped, listed, untouched = (make_invoice(f"L-{n}", date(2026, 11, 1)) for n in range(5))
    message(sent, steps[2], DispatchStatus.SENT)
    message(failed, steps[3], DispatchStatus.FAILED)  # carried, though it failed: never decided again
    message(grouped, steps[1], DispatchStatus.SENT, listing=[listed])  # a grouped message lists another invoice
    others = [make_invoice(f"M-{n}", date(2026, 11, 1)) for n in range(40)]
    ids = [invoice.pk for invoice in (sent, failed, grouped, listed, untouched, *others)]
    with django_assert_num_queries(1):
        levels = taken_levels(ids)
    assert levels == {sent.pk: 2, failed.pk: 3, grouped.pk: 1, listed.pk: 1}
