"""Importing invoices: decimal commas, day-first dates, XLSX cells, updates by number, all-or-nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer
from invoices.batches import CHANGED, NOT_PENDING, import_batch_confirm, import_batch_create
from invoices.models import ImportBatch, ImportStatus, Invoice, InvoiceStatus
from organizations.models import ActivityLog
from tests.factories import CustomerFactory, InvoiceFactory
from tests.spreadsheets import confirm, csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["number", "customer_ref", "issue_date", "due_date", "amount", "open_amount", "currency"]


def _batch(world, content, *, name="invoices.csv", kind="invoices"):
    return import_batch_create(
        organization=world.org_a, kind=kind, content=content, filename=name, actor=world.owner_a.user
    )


def _import(world, content, *, name="invoices.csv", skip_invalid=False):
    batch = _batch(world, content, name=name)
    return import_batch_confirm(batch=batch, skip_invalid=skip_invalid, actor=world.owner_a.user)


def test_a_semicolon_windows_1252_file_with_decimal_commas_and_day_first_dates_imports(world, owner_a_client):
    customers = csv_bytes([["External ref", "NAME"], ["K-1", "Crème Brûlée BVBA"], ["K-2", "Grün & Söhne"]])
    response = upload(owner_a_client, world.org_a, kind="customers", content=customers, name="klanten.csv")
    confirm(owner_a_client, world.org_a, ImportBatch.objects.get(original_filename="klanten.csv"))
    invoices = csv_bytes([
        ["Number", "Customer ref", "Issue date", "Due date", "Amount", "Open amount", "Currency"],
        ["F-2026-1", "K-1", "23/11/2026", "23.12.2026", "1.234,56", "1.000,00", "eur"],
        ["F-2026-2", "K-2", "01-02-2026", "03/03/2026", "99,9", "", ""],
    ])  # fmt: skip
    assert "Crème".encode("cp1252") in customers

    response = upload(owner_a_client, world.org_a, kind="invoices", content=invoices, name="facturen.csv")
    preview = owner_a_client.get(response.url)
    assert "Import 2 rows" in preview.content.decode()
    confirm(owner_a_client, world.org_a, ImportBatch.objects.get(original_filename="facturen.csv"))

    assert Customer.objects.get(organization=world.org_a, external_ref="K-1").name == "Crème Brûlée BVBA"
    assert Customer.objects.get(organization=world.org_a, external_ref="K-2").name == "Grün & Söhne"
    first = Invoice.objects.get(organization=world.org_a, number="F-2026-1")
    assert (first.issue_date, first.due_date) == (date(2026, 11, 23), date(2026, 12, 23))
    assert (first.amount, first.open_amount, first.currency) == (Decimal("1234.56"), Decimal("1000.00"), "EUR")
    second = Invoice.objects.get(organization=world.org_a, number="F-2026-2")
    assert (second.amount, second.open_amount, second.issue_date) == (
        Decimal("99.90"),
        Decimal("99.90"),
        date(2026, 2, 1),
    )
    assert second.currency == world.org_a.currency
    assert first.customer.open_balance == Decimal("1000.00") and first.customer.invoice_count == 1


def test_a_utf8_file_with_bom_commas_and_decimal_points_imports(world):
    content = csv_bytes(
        [HEADER, ["INV-9", "C-1", "2026-11-23", "2026-12-23", "1,234.56", "0.00", "EUR"]],
        delimiter=",", encoding="utf-8", bom=True,
    )  # fmt: skip
    outcome = _import(world, content)
    assert outcome.imported, outcome.plan.errors
    invoice = Invoice.objects.get(organization=world.org_a, number="INV-9")
    assert (invoice.amount, invoice.open_amount, invoice.status) == (Decimal("1234.56"), 0, InvoiceStatus.PAID)


def test_an_xlsx_file_with_real_date_cells_and_numbers_imports(world):
    content = xlsx_bytes([
        ["Number", "Customer_Ref", "Issue Date", "Due Date", "Amount", "Open Amount"],
        ["X-1", "C-1", date(2026, 11, 23), date(2026, 12, 23), 1210, 605.5],
        [2026002, "C-1", "23/11/2026", 46379, "12,10", None],
    ])  # fmt: skip
    outcome = _import(world, content, name="export.xlsx")
    assert outcome.imported, outcome.plan.errors
    first = Invoice.objects.get(organization=world.org_a, number="X-1")
    assert (first.due_date, first.amount, first.open_amount) == (
        date(2026, 12, 23),
        Decimal("1210.00"),
        Decimal("605.50"),
    )
    second = Invoice.objects.get(organization=world.org_a, number="2026002")
    assert (second.due_date, second.amount) == (date(2026, 12, 23), Decimal("12.10"))


def test_reimporting_updates_invoices_instead_of_duplicating_them(world):
    row = ["2026-001", "C-1", "2026-10-01", "2026-10-31", "100", "0", "EUR"]
    outcome = _import(world, csv_bytes([HEADER, row]))

    assert (outcome.plan.new, outcome.plan.updated) == (0, 1)
    assert Invoice.objects.filter(organization=world.org_a, number="2026-001").count() == 1
    invoice = Invoice.objects.get(pk=world.a.invoice.pk)
    assert (invoice.open_amount, invoice.status, invoice.due_date) == (0, InvoiceStatus.PAID, date(2026, 10, 31))
    entry = ActivityLog.objects.filter(code="invoice.updated", subject_id=invoice.pk).get()
    assert entry.actor_user == world.owner_a.user and entry.data["changes"]["status"] == ["open", "paid"]
    assert world.b.invoice.open_amount == Decimal("90.00")  # B's invoice with the same number is untouched


def test_a_file_with_a_bad_row_imports_nothing_and_names_row_and_column(world, owner_a_client):
    content = csv_bytes([
        HEADER,
        ["N-1", "C-1", "01/11/2026", "01/12/2026", "10,00", "", ""],
        ["N-2", "C-1", "01/11/2026", "31/02/2026", "12,3,4", "", "EURO"],
        ["N-3", "C-1", "01/11/2026", "01/12/2026", "30", "40", ""],
    ])  # fmt: skip
    response = upload(owner_a_client, world.org_a, kind="invoices", content=content, name="bad.csv")
    batch = ImportBatch.objects.get(original_filename="bad.csv")
    page = owner_a_client.get(response.url).content.decode()

    assert (batch.summary["new"], batch.summary["invalid"]) == (1, 2)
    assert "Import 1 valid row" in page and "will be skipped" in page
    assert [(e["row"], e["column"]) for e in batch.summary["errors"]] == [
        (3, "due_date"), (3, "amount"), (3, "currency"), (4, "open_amount"),
    ]  # fmt: skip
    assert "Enter an amount such as 1234,56 or 1234.56." in page
    response = confirm(owner_a_client, world.org_a, batch)  # without ticking "skip the invalid rows"
    assert "Nothing was imported" in response.content.decode()
    assert not Invoice.objects.filter(number__startswith="N-").exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.PENDING


def test_confirming_imports_only_the_good_rows_and_logs_the_import(world, owner_a_client):
    content = csv_bytes([HEADER, ["G-1", "C-1", "2026-11-01", "2026-12-01", "10", "", ""],
                         ["G-2", "C-1", "2026-11-01", "2026-12-01", "-5", "", ""],
                         ["2026-001", "C-1", "2026-11-01", "2026-12-01", "100", "90", ""]])  # fmt: skip
    upload(owner_a_client, world.org_a, kind="invoices", content=content, name="mixed.csv")
    batch = ImportBatch.objects.get(original_filename="mixed.csv")

    response = confirm(owner_a_client, world.org_a, batch, skip_invalid="1")

    assert ": 1 new, 1 updated, 1 skipped." in response.content.decode()
    assert set(Invoice.objects.filter(organization=world.org_a).values_list("number", flat=True)) == {"2026-001", "G-1"}
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED and batch.imported_at is not None
    entry = ActivityLog.objects.get(code="import.completed", subject_id=batch.pk)
    assert entry.data == {"kind": "invoices", "file": "mixed.csv", "new": 1, "updated": 1, "unchanged": 0, "skipped": 1}
    assert entry.actor_user == world.owner_a.user and entry.describe() == "Import of mixed.csv completed"


def test_a_customer_reference_of_another_tenant_is_an_unknown_customer(world):
    CustomerFactory(organization=world.org_b, external_ref="B-77")
    outcome = _import(world, csv_bytes([HEADER, ["Z-1", "B-77", "2026-11-01", "2026-12-01", "10", "", ""]]))
    assert not outcome.imported
    assert [str(problem) for problem in outcome.plan.errors] == [
        "Row 2, column customer_ref: Unknown customer: no customer has this external reference."
    ]
    assert not Invoice.objects.filter(number="Z-1").exists()


def test_an_invoice_number_repeated_in_the_file_is_an_error_on_the_later_row(world):
    row = ["D-1", "C-1", "2026-11-01", "2026-12-01", "10", "", ""]
    outcome = _import(world, csv_bytes([HEADER, row, row]), skip_invalid=True)
    assert [str(p) for p in outcome.plan.errors] == ["Row 3, column number: Row 2 already has this invoice number."]
    assert Invoice.objects.filter(organization=world.org_a, number="D-1").count() == 1


def test_a_credited_invoice_is_not_reopened_by_an_import(world):
    credited = InvoiceFactory(customer=world.a.customer, number="CR-1", open_amount=0, status=InvoiceStatus.CREDITED)
    outcome = _import(
        world, csv_bytes([HEADER, ["CR-1", "C-1", credited.issue_date, credited.due_date, "121", "121", ""]])
    )
    assert outcome.plan.errors[0].column == "open_amount"


def test_a_change_in_the_data_after_the_preview_imports_nothing(world):
    batch = _batch(world, csv_bytes([HEADER, ["L-1", "C-9", "2026-11-01", "2026-12-01", "10", "", ""]]))
    assert batch.summary["invalid"] == 1  # C-9 does not exist yet
    CustomerFactory(organization=world.org_a, external_ref="C-9")

    outcome = import_batch_confirm(batch=batch, skip_invalid=True, expected_rows=0, actor=world.owner_a.user)

    assert (outcome.imported, outcome.refusal) == (False, CHANGED)
    assert not Invoice.objects.filter(number="L-1").exists()
    batch.refresh_from_db()
    assert batch.summary["valid"] == 1  # the preview now shows the new outcome


def test_confirming_twice_imports_once(world, owner_a_client):
    batch = _batch(world, csv_bytes([HEADER, ["T-1", "C-1", "2026-11-01", "2026-12-01", "10", "", ""]]))
    assert import_batch_confirm(batch=batch, skip_invalid=False).imported
    again = import_batch_confirm(batch=batch, skip_invalid=False)
    assert (again.imported, again.refusal) == (False, NOT_PENDING)
    assert ActivityLog.objects.filter(code="import.completed", subject_id=batch.pk).count() == 1
    response = owner_a_client.post(reverse("imports:confirm", args=[world.org_a.slug, batch.pk]), follow=True)
    assert "already imported or cancelled" in response.content.decode()


def test_an_import_keeps_the_figures_the_ledger_and_the_schedule_as_one_invoice_at_a_time_would(world):
    """New invoices are written in chunks and their side effects once at the end; the result is the same."""
    from invoices.ledger import ledger_rebuild
    from invoices.models import ReceivablesDay
    from invoices.services import invoice_create
    from reminders.models import FollowUpStep

    FollowUpStep.objects.create(organization=world.org_a, plan=world.a.plan, position=1, name="Reminder",
                                offset_days=7, channel="email", purpose="reminder_1")  # fmt: skip
    customer = CustomerFactory(organization=world.org_a, external_ref="BULK-1")
    rows = [[f"B-{n}", "BULK-1", "2026-11-01", f"2026-12-{n + 1:02d}", f"{100 + n}", f"{50 + n}", ""] for n in range(7)]
    outcome = _import(world, csv_bytes([HEADER, *rows]))
    assert outcome.imported and outcome.plan.new == 7
    invoice_create(organization=world.org_a, customer=customer, number="ONE-BY-ONE", issue_date=date(2026, 11, 1),
                   due_date=date(2026, 12, 9), amount=Decimal("10"))  # fmt: skip

    customer.refresh_from_db()
    assert customer.open_balance == sum(Decimal(50 + n) for n in range(7)) + 10
    assert customer.oldest_open_due_date == date(2026, 12, 1)
    imported = Invoice.objects.filter(number__startswith="B-")
    assert all(invoice.next_follow_up_at is not None for invoice in imported)  # scheduled, like ONE-BY-ONE
    assert Invoice.objects.get(number="ONE-BY-ONE").next_follow_up_at is not None
    assert ActivityLog.objects.filter(code="invoice.created", subject_id__in=imported.values("pk")).count() == 7
    kept = sorted(ReceivablesDay.objects.filter(organization=world.org_a).values_list(
        "day", "open_amount", "open_count", "invoiced_amount", "invoiced_count"))  # fmt: skip
    ledger_rebuild(organization=world.org_a)  # recomputed from the invoices themselves
    rebuilt = sorted(ReceivablesDay.objects.filter(organization=world.org_a).values_list(
        "day", "open_amount", "open_count", "invoiced_amount", "invoiced_count"))  # fmt: skip
    assert [row for row in kept if any(row[1:])] == [row for row in rebuilt if any(row[1:])]


def test_updates_in_bulk_are_checked_like_one_update_and_a_refusal_names_its_position(world):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from invoices.services import invoices_update_many

    first = InvoiceFactory(customer=world.a.customer, number="U-1", amount=Decimal("100"), open_amount=Decimal("100"))
    second = InvoiceFactory(customer=world.a.customer, number="U-2", amount=Decimal("100"), open_amount=Decimal("100"))
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        invoices_update_many(organization=world.org_a, updates=[(first, {"open_amount": Decimal("40")}),
                                                                (second, {"open_amount": Decimal("140")})])  # fmt: skip
    assert refused.value.position == 1 and "between 0 and the invoice amount" in " ".join(refused.value.messages)
    first.refresh_from_db()
    assert first.open_amount == Decimal("100")  # nothing of the call was kept

    paid, *_ = invoices_update_many(organization=world.org_a, updates=[(first, {"open_amount": Decimal("0")})],
                                    actor=world.owner_a.user)  # fmt: skip
    paid.refresh_from_db()
    assert (paid.open_amount, paid.status) == (Decimal("0"), InvoiceStatus.PAID)
    entry = ActivityLog.objects.get(code="invoice.updated", subject_id=paid.pk)
    assert entry.data["changes"] == {"open_amount": ["100.00", "0"], "status": ["open", "paid"]}
    foreign = InvoiceFactory(customer=world.b.customer, number="U-3")
    with pytest.raises(ValidationError):
        invoices_update_many(organization=world.org_a, updates=[(foreign, {"open_amount": Decimal("1")})])
