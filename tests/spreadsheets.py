"""Build and read the spreadsheets that import and export tests exchange."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(
    rows: Sequence[Sequence[Any]], *, delimiter: str = ";", encoding: str = "cp1252", bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def read_xlsx(content: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_csv_export(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "exports start with a UTF-8 BOM"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def upload(client, organization, *, kind: str, content: bytes, name: str):
    """Upload through the import page; returns the response (a redirect to the preview when readable)."""
    return client.post(
        reverse("imports:start", args=[organization.slug]),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def confirm(client, organization, batch, **fields):
    """Confirm on the preview page, let the background job run as a worker would, and return the page after."""
    from invoices.tasks import run_import_batch

    url = reverse("imports:confirm", args=[organization.slug, batch.pk])
    response = client.post(url, {"rows": batch.summary["valid"], **fields})
    run_import_batch(batch.pk)  # what the worker runs for the queued message (nothing if it was refused)
    return client.get(response.url)


def streamed(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
