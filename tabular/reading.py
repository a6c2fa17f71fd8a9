"""Spreadsheets in and out: CSV and XLSX as Excel writes and reads them in Belgium, the Netherlands,
France and Germany. Pure functions; no models.

Reading: comma or semicolon (sniffed from the header), UTF-8 with or without BOM and a Windows-1252
fallback, header names compared case- and space-insensitively, decimal comma or point with thousands
separators, day-first dates, and XLSX cells that hold real dates and numbers.

Writing: CSV as UTF-8 with BOM and `;` (what Excel in those countries opens directly) and XLSX. Both
neutralise formula injection (ASVS 5.0 1.2.10): a text cell that starts with = + - @ TAB CR or NUL gets
a leading single quote; numbers and dates stay numbers and dates. Reading strips that quote again, so
an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

MAX_ROWS = 100_000
MAX_COLUMNS = 60
# Blank rows count too while reading (a sheet can claim a cell on row 1,048,576), but more loosely.
MAX_RECORDS = 2 * MAX_ROWS
# An XLSX is a zip: what it unpacks to is checked before openpyxl reads it (a 400 KB file can hold 400 MB).
MAX_XLSX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_XLSX_RATIO = 150  # real sheets compress 5-20 times; a member packed tighter than this is a bomb
XLSX_RATIO_FLOOR = 1024 * 1024  # small members (styles, themes) may compress very well
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
CSV_DELIMITER = ";"
CANDIDATE_DELIMITERS = (";", ",", "\t")
XLSX_MAGIC = b"PK\x03\x04"
UTF8_BOM = "\ufeff"
# Integer part with thousands separators: 1.234 / 1,234 / 1 234 / 1'234 (one separator kind throughout).
GROUPED_DIGITS = re.compile(r"\d{1,3}([ .,'])\d{3}(?:\1\d{3})*")
ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
DAY_FIRST_DATE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})")
EXCEL_SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31
ILLEGAL_XLSX_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not CSV/XLSX, empty, too large); no row can be judged."""


@dataclass
class Row:
    number: int  # as the user sees it in the spreadsheet: the header is row 1
    values: dict[str, Any]

    def is_blank(self) -> bool:
        return all(value in (None, "") for value in self.values.values())


@dataclass
class Table:
    headers: list[str]  # normalised names, in file order
    rows: list[Row] = field(default_factory=list)
    duplicate_headers: list[str] = field(default_factory=list)


def normalize_header(name: Any) -> str:
    """`External Ref`, ` external ref ` and `EXTERNAL_REF` all become `external_ref`."""
    text = str(name or "").replace(UTF8_BOM, "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def read_table(content: bytes, *, filename: str = "", columns: Sequence[str] = ()) -> Table:
    """Read an uploaded CSV or XLSX file into rows keyed by header name.

    A header that matches one of `columns` ignoring case, spaces, hyphens and underscores (`E-mail`,
    `Account manager email`) takes that column's name; others are normalised with `normalize_header`.
    """
    if not content.strip():
        raise UnreadableFile("empty")
    known = {_header_key(column): column for column in columns}
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        _check_xlsx_size(content)
        return _table_from_records(_xlsx_records(content), known)
    return _table_from_records(_csv_records(decode_text(content)), known)


def _check_xlsx_size(content: bytes) -> None:
    """Refuse a zip whose members unpack to too much, by their declared sizes (zipfile never reads past them)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableFile("xlsx") from exc
    if sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
        raise UnreadableFile("xlsx_too_large")
    for member in members:
        if member.file_size > XLSX_RATIO_FLOOR and member.file_size > MAX_XLSX_RATIO * max(member.compress_size, 1):
            raise UnreadableFile("xlsx_too_large")


def _header_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", normalize_header(name))


def decode_text(content: bytes) -> str:
    """UTF-8 (strictly, so Windows-1252 bytes never pass as garbage), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    # cp1252 leaves five bytes undefined; Latin-1 maps every byte, so the file is still readable.
    return content.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the header line into the most fields (headers hold no decimals)."""
    first_line = next(iter(text.splitlines()), "")
    counts = {
        delimiter: len(next(csv.reader([first_line], delimiter=delimiter), [])) for delimiter in CANDIDATE_DELIMITERS
    }
    best = max(CANDIDATE_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 1 else ","


def _csv_records(text: str) -> Iterator[list[Any]]:
    reader = csv.reader(io.StringIO(text.lstrip(UTF8_BOM), newline=""), delimiter=sniff_delimiter(text))
    try:
        yield from reader
    except csv.Error as exc:  # a field over csv.field_size_limit(), a stray quote in strict mode, …
        raise UnreadableFile("csv_field_too_long" if "field larger" in str(exc) else "csv") from exc


def _xlsx_records(content: bytes) -> Iterator[list[Any]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged or non-XLSX files
        raise UnreadableFile("xlsx") from exc
    try:
        sheet = workbook.worksheets[0]
        # Some programs write wrong dimensions into the file; read what is really there.
        sheet.reset_dimensions()
        # Read-only mode fills gaps with empty rows, so the n-th record is spreadsheet row n.
        for cells in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [_xlsx_value(value) for value in cells]
    except UnreadableFile:
        raise
    except Exception as exc:  # damaged XML or zip data found while streaming the sheet
        raise UnreadableFile("xlsx") from exc
    finally:
        workbook.close()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


def _table_from_records(records: Iterable[list[Any]], known: dict[str, str]) -> Table:
    iterator = iter(records)
    header = next(iterator, None)
    if header is None:
        raise UnreadableFile("empty")
    names = [known.get(_header_key(name), normalize_header(name)) for name in header]
    while names and not names[-1]:
        names.pop()
    seen: set[str] = set()
    table = Table(headers=[name for name in names if name])
    table.duplicate_headers = sorted({name for name in names if name and (name in seen or seen.add(name))})
    for number, record in enumerate(iterator, start=2):
        if number > MAX_RECORDS:
            raise UnreadableFile("too_many_rows")
        values = {
            name: _unescape(record[index]) if index < len(record) else None for index, name in enumerate(names) if name
        }
        row = Row(number=number, values=values)
        if not row.is_blank():
            table.rows.append(row)
        if len(table.rows) > MAX_ROWS:
            raise UnreadableFile("too_many_rows")
    return table


def _unescape(value: Any) -> Any:
    """Undo the export's formula guard: `'=SUM(…)` reads back as `=SUM(…)`, `'+32 …` as `+32 …`."""
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
            return value[1:]
    return value


def cell_text(value: Any) -> str:
    """A cell as text: strings stripped, whole floats without `.0`, dates in ISO form, empty for None."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value).strip()


def parse_decimal(value: Any) -> Decimal:
    """`1234.56`, `1234,56`, `1.234,56`, `1,234.56`, `1 234,56`, `€ 12,50`, or a number cell. ValueError if not."""
    if isinstance(value, bool) or value is None:
        raise ValueError(value)
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        return _finite(Decimal(repr(value)))
    return _finite(_parse_decimal_text(str(value)))


def _finite(number: Decimal) -> Decimal:
    if not number.is_finite():
        raise ValueError(number)
    return number


def _parse_decimal_text(text: str) -> Decimal:
    text = re.sub(r"[\s\u00a0\u202f]+", " ", text.replace("\u2019", "'")).strip().strip("€").strip()
    sign = ""
    if text[:1] in ("+", "-"):
        sign, text = ("-" if text[0] == "-" else ""), text[1:].strip()
    last = max(text.rfind(","), text.rfind("."))
    # The last comma or point is the decimal separator, unless it occurs more than once (grouping).
    if last >= 0 and text.count(text[last]) == 1:
        integer, fraction = text[:last], text[last + 1 :]
        if not fraction.isdigit() or not fraction.isascii():
            raise ValueError(text)
        # `1,000` or `1.000` alone: a thousand in one convention, one in another (an ERP with three decimals).
        # Amounts never have three decimals, so neither reading can be trusted: refused, never guessed.
        if len(fraction) == 3 and integer.isdigit() and not any(mark in integer for mark in " .,'"):
            raise ValueError(text)
    else:
        integer, fraction = text, "0"
    if GROUPED_DIGITS.fullmatch(integer):
        integer = re.sub(r"[ .,']", "", integer)
    elif not (integer == "" or (integer.isdigit() and integer.isascii())) or not (integer or last >= 0):
        raise ValueError(text)
    try:
        return Decimal(f"{sign}{integer or '0'}.{fraction}")
    except InvalidOperation as exc:
        raise ValueError(text) from exc


def parse_date(value: Any) -> date:
    """ISO `2026-11-23`, day first `23-11-2026`, `23/11/2026`, `23.11.2026` (or a two-digit year),
    a date cell, or an Excel serial number. ValueError if not."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_excel_serial(value)
    text = str(value or "").strip().split(" ")[0].split("T")[0]
    if match := ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := DAY_FIRST_DATE.fullmatch(text):
        day, month, year = int(match[1]), int(match[3]), int(match[4])
        year += 2000 if len(match[4]) == 2 else 0
    elif text.isdigit():
        return _from_excel_serial(int(text))
    else:
        raise ValueError(text)
    return date(year, month, day)  # ValueError for 31-02-2026


def _from_excel_serial(value: float) -> date:
    from openpyxl.utils.datetime import from_excel

    if not EXCEL_SERIAL_RANGE[0] <= value <= EXCEL_SERIAL_RANGE[1]:
        raise ValueError(value)
    return from_excel(value).date()


def neutralize(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading quote; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_value(value: Any) -> str:
    """One CSV field: decimal comma (Excel in BE/NL/FR/DE reads it as a number), ISO dates, safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal | float | int):
        return str(value).replace(".", ",")
    if isinstance(value, date | datetime):
        return value.isoformat()
    return neutralize(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The file line by line, for a streaming response: BOM, header, rows; `;` and CRLF like Excel."""
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER, lineterminator="\r\n")
    yield UTF8_BOM + writer.writerow([csv_value(name) for name in headers])
    for row in rows:
        yield writer.writerow([csv_value(value) for value in row])


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return "".join(csv_lines(headers, rows)).encode("utf-8")


def write_xlsx(output: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> None:
    """Write a one-sheet workbook to `output` in write-only mode (rows are not kept in memory)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([_xlsx_cell(sheet, name, WriteOnlyCell) for name in headers])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value, WriteOnlyCell) for value in row])
    workbook.save(output)


def _xlsx_cell(sheet, value: Any, cell_class):
    if isinstance(value, str):
        # openpyxl rejects control characters, and would store text starting with "=" as a formula.
        cell = cell_class(sheet, value=neutralize(ILLEGAL_XLSX_CHARACTERS.sub("", value)) if value else value)
        cell.data_type = "s"
        return cell
    cell = cell_class(sheet, value=value)
    if isinstance(value, date) and not isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd"
    return cell
