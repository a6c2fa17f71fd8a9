"""A table as a download: CSV (streamed, `;` with BOM, as Excel opens it) or XLSX (written to a temporary file).

Used by the customer and invoice exports and by the reports; cells that would start a formula are neutralised
by tabular.reading.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from tabular.reading import csv_lines, write_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = ("csv", "xlsx")


def table_response(
    *, export_format: str, filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
):
    """`filename` without its extension; `export_format` one of EXPORT_FORMATS."""
    filename = f"{filename}.{export_format}"
    if export_format == "csv":
        response = StreamingHttpResponse(csv_lines(headers, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_xlsx(output, headers, rows, title=title)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
