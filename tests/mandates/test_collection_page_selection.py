"""The new-batch page: every debit in the preview, invoices not yet due left out unless asked, exclusions kept
across a re-preview, and creating exactly what was previewed minus the exclusions."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from invoices.services import payment_record
from mandates.models import CollectionBatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wednesday_morning")]


@pytest.fixture
def invoices(world, profile, make_customer, sign, make_invoice):
    lumen, orbit = make_customer("Lumen BV"), make_customer("Orbit NV")
    sign(lumen)
    sign(orbit)
    return {
        "due": make_invoice(lumen, amount="1234.50", due=date(2026, 11, 20)),
        "later": make_invoice(lumen, amount="40.00", due=date(2027, 1, 12)),
        "orbit": make_invoice(orbit, amount="25.00", due=date(2026, 12, 1)),
        "orbit_2": make_invoice(orbit, amount="10.00", due=date(2026, 12, 2)),
    }


def url(world, name="create", *args):
    return reverse(f"collections:{name}", args=[world.org_a.slug, *args])


def form(profile, **extra):
    return {"profile": profile.pk, "collection_date": "17-12-2026", **extra}


def previewed_fields(html: str) -> dict:
    """What the preview puts in the form for the next step, as the browser would post it."""
    return {
        "previewed_key": re.search(r'name="previewed_key" value="([^"]+)"', html).group(1),
        "previewed": re.findall(r'name="previewed" value="(\d+)"', html),
    }


def debit_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="debit-row[^"]*" data-testid="preview-debit">(.*?)</tr>', html, re.S)


def test_preview_lists_each_debit_and_leaves_out_invoices_not_yet_due(world, owner_a_client, profile, invoices):
    html = owner_a_client.post(url(world), form(profile)).content.decode()
    rows = debit_rows(html)
    assert len(rows) == 3
    lumen_row = next(row for row in rows if invoices["due"].number in row)
    for text in ("Lumen BV", "20/11/2026", "1,234.50", "FRST", "ACME-"):
        assert text in lumen_row
    assert invoices["later"].number not in html
    assert "One invoice falls due after 17 December 2026 and is not debited" in html
    assert re.search(r'data-testid="preview-count">3<', html)
    assert re.search(r"<td>FRST</td><td class=\"num\">3</td><td class=\"num\">€1,269.50</td>", html)
    with_option = owner_a_client.post(url(world), form(profile, include_not_yet_due="on")).content.decode()
    assert len(debit_rows(with_option)) == 4 and invoices["later"].number in with_option
    assert "Invoices not yet due are included." in with_option


def test_exclusions_are_kept_across_a_re_preview_and_counted(world, owner_a_client, profile, invoices):
    customer = invoices["orbit"].customer_id
    html = owner_a_client.post(
        url(world), form(profile, exclude_customer=customer, exclude_invoice=invoices["due"].pk)
    ).content.decode()
    assert re.search(rf'name="exclude_customer" value="{customer}" class="exclude-customer" checked', html)
    assert re.search(rf'name="exclude_invoice" value="{invoices["due"].pk}" class="exclude-invoice" checked', html)
    assert re.search(r'data-testid="preview-count">0<', html) and 'id="excluded-count">3<' in html
    # The excluded debits stay listed, so they can be ticked back.
    assert len(debit_rows(html)) == 3 and html.count('data-testid="excluded"') == 3


def test_creating_uses_the_previewed_debits_minus_exclusions(world, owner_a_client, profile, invoices, make_invoice):
    html = owner_a_client.post(url(world), form(profile)).content.decode()
    arrived = make_invoice(invoices["due"].customer, due=date(2026, 11, 30))  # after the preview
    created = owner_a_client.post(
        url(world),
        {**form(profile, confirm="1"), **previewed_fields(html), "exclude_invoice": [invoices["orbit_2"].pk]},
    )
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    assert created.status_code == 302 and created.url == url(world, "detail", batch.pk)
    assert set(batch.items.values_list("invoice_id", flat=True)) == {invoices["due"].pk, invoices["orbit"].pk}
    assert arrived.pk not in batch.items.values_list("invoice_id", flat=True)
    detail = owner_a_client.get(created.url).content.decode()
    assert "Only invoices due on or before the collection date were debited." in detail
    assert "One debit was excluded before creating the batch." in detail


def test_an_invoice_paid_after_the_preview_is_dropped_and_reported(world, owner_a_client, profile, invoices):
    html = owner_a_client.post(url(world), form(profile)).content.decode()
    payment_record(invoice=invoices["orbit"], amount=Decimal("25.00"), paid_on=date(2026, 12, 2))
    page = owner_a_client.post(url(world), {**form(profile, confirm="1"), **previewed_fields(html)}, follow=True)
    text = page.content.decode()
    assert "1 previewed invoice was left out because it could no longer be collected" in text
    assert f"{invoices['orbit'].number} (paid or closed meanwhile)" in text
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    assert invoices["orbit"].pk not in batch.items.values_list("invoice_id", flat=True)
    assert batch.item_count == 2
    detail = owner_a_client.get(url(world, "detail", batch.pk)).content.decode()
    assert "Left out because they could no longer be collected:" in detail
    assert f">{invoices['orbit'].number}</a> (paid or closed meanwhile)" in detail


def test_a_changed_date_or_option_previews_again_instead_of_creating(world, owner_a_client, profile, invoices):
    html = owner_a_client.post(url(world), form(profile)).content.decode()
    before = CollectionBatch.objects.count()
    changed = owner_a_client.post(
        url(world), {**form(profile, confirm="1", include_not_yet_due="on"), **previewed_fields(html)}
    )
    assert changed.status_code == 200 and 'data-testid="preview-changed"' in changed.content.decode()
    assert len(debit_rows(changed.content.decode())) == 4
    assert CollectionBatch.objects.count() == before
    created = owner_a_client.post(
        url(world),
        {**form(profile, confirm="1", include_not_yet_due="on"), **previewed_fields(changed.content.decode())},
    )
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    assert created.status_code == 302 and batch.item_count == 4 and batch.include_not_yet_due
    detail = owner_a_client.get(created.url).content.decode()
    assert "Invoices not yet due on the collection date were included." in detail


def test_foreign_and_malformed_ids_in_the_form_change_nothing(world, owner_a_client, profile, invoices):
    foreign = world.b.invoice.pk
    html = owner_a_client.post(url(world), form(profile)).content.decode()
    fields = previewed_fields(html)
    fields["previewed"] = [*fields["previewed"], str(foreign), "abc", str(2**40)]
    created = owner_a_client.post(
        url(world),
        {
            **form(profile, confirm="1"),
            **fields,
            "exclude_invoice": ["x", str(2**40), "²"],  # "²".isdigit() is true, int("²") is not
            "exclude_customer": [str(world.b.customer.pk), "-1"],
        },
    )
    assert created.status_code == 302
    batch = CollectionBatch.objects.filter(organization=world.org_a).latest("id")
    assert batch.item_count == 3 and batch.excluded_count == 0 and batch.dropped_invoices == []
    world.b.invoice.refresh_from_db()
    assert world.b.invoice.collection_requested_at is None
