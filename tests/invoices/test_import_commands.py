"""import_customers and import_invoices: a summary, every error by row and column, and the exit code."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer
from invoices.models import ImportBatch, ImportStatus, Invoice
from tests.spreadsheets import csv_bytes

pytestmark = pytest.mark.django_db

HEADER = ["number", "customer_ref", "issue_date", "due_date", "amount"]
ROWS = [HEADER, ["K-1", "C-1", "01/11/2026", "01/12/2026", "10,00"], ["K-2", "C-1", "01/11/2026", "01/12/2026", "1O"]]


def _run(command, path, *args):
    out = StringIO()
    call_command(command, str(path), *args, stdout=out)
    return out.getvalue()


def test_a_file_with_an_error_imports_nothing_and_exits_non_zero(world, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(csv_bytes(ROWS))
    out = StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_invoices", str(path), "--organization", world.org_a.slug, stdout=out)

    assert failure.value.returncode == 1 and "Nothing was imported" in str(failure.value)
    assert "invoices.csv: 2 rows: 1 new, 0 to update, 0 unchanged, 1 invalid." in out.getvalue()
    assert "Error: Row 3, column amount: Enter an amount such as 1234,56 or 1234.56." in out.getvalue()
    assert not Invoice.objects.filter(number__in=["K-1", "K-2"]).exists()
    assert not ImportBatch.objects.filter(original_filename="invoices.csv", status=ImportStatus.PENDING).exists()


def test_skip_invalid_imports_the_good_rows(world, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(csv_bytes(ROWS))
    out = _run("import_invoices", path, "--organization", world.org_a.slug, "--skip-invalid")
    assert "Error: Row 3, column amount" in out and "Imported: 1 new, 0 updated, 0 unchanged, 1 skipped." in out
    assert list(Invoice.objects.filter(number__startswith="K-").values_list("number", flat=True)) == ["K-1"]
    assert ImportBatch.objects.get(original_filename="invoices.csv").status == ImportStatus.IMPORTED


def test_import_customers_updates_by_reference(world, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(csv_bytes([["external_ref", "name", "city"], ["C-1", "Acme Customer", "Leuven"]]))
    out = _run("import_customers", path, "--organization", world.org_a.slug)
    assert (
        "customers.csv: 1 row: 0 new, 1 to update, 0 unchanged, 0 invalid." in out
        and "Imported: 0 new, 1 updated, 0 unchanged, 0 skipped." in out
    )
    assert Customer.objects.get(pk=world.a.customer.pk).city == "Leuven"
    assert Customer.objects.get(pk=world.b.customer.pk).city != "Leuven"


def test_an_unknown_organization_or_file_is_an_error(world, tmp_path):
    with pytest.raises(CommandError, match="No organization"):
        call_command("import_customers", str(tmp_path / "x.csv"), "--organization", "nope")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_customers", str(tmp_path / "missing.csv"), "--organization", world.org_a.slug)
