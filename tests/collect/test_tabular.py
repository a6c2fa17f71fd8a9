"""Reading and writing spreadsheets as Excel in Belgium, the Netherlands, France and Germany does."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from tabular.reading import (
    UnreadableFile,
    csv_value,
    decode_text,
    neutralize,
    normalize_header,
    parse_date,
    parse_decimal,
    read_table,
    sniff_delimiter,
    write_csv,
    write_xlsx,
)
from tests.spreadsheets import csv_bytes, xlsx_bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1.234.567", "1234567"),
        ("€ 12,50", "12.50"),
        ("-5", "-5"),
        (",5", "0.5"),
        (121.00000000000001, "121.00000000000001"),
        (7, "7"),
    ],
)
def test_amounts_with_decimal_comma_or_point_and_thousands_separators_are_read(text, expected):
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["", "abc", "12,34,56", "1.234.56", "1,2.3,4", "1e5", "NaN", "12,", None, True, "1,000", "1.000", "12.500"]
)
def test_what_is_not_an_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-23", date(2026, 11, 23)),
        ("23-11-2026", date(2026, 11, 23)),
        ("23/11/2026", date(2026, 11, 23)),
        ("23.11.2026", date(2026, 11, 23)),
        ("3/1/2026", date(2026, 1, 3)),
        ("23.11.26", date(2026, 11, 23)),
        ("2026-11-23 00:00:00", date(2026, 11, 23)),
        (datetime(2026, 11, 23, 0, 0), date(2026, 11, 23)),
        (date(2026, 11, 23), date(2026, 11, 23)),
        (46349, date(2026, 11, 23)),
    ],
)
def test_dates_are_read_day_first_or_iso_or_from_cells(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["", "31/02/2026", "11-23-2026", "tomorrow", "23/11-2026", 0])
def test_what_is_not_a_date_is_refused(value):
    with pytest.raises(ValueError):
        parse_date(value)


def test_utf8_is_decoded_strictly_and_windows_1252_is_the_fallback():
    assert decode_text("Café Müller".encode()) == "Café Müller"
    assert decode_text("Café Müller".encode("cp1252")) == "Café Müller"
    assert decode_text(b"\xef\xbb\xbfname") == "name"
    assert decode_text(b"\x81\xe9") == "\x81é"  # bytes cp1252 leaves undefined still read


def test_the_delimiter_is_sniffed_from_the_header():
    assert sniff_delimiter("number;amount\n1;1,5\n") == ";"
    assert sniff_delimiter('number,amount\n1,"1,5"\n') == ","
    assert sniff_delimiter("number\n1\n") == ","


def test_header_names_ignore_case_spaces_and_bom():
    assert normalize_header("\ufeff External Ref ") == "external_ref"
    assert normalize_header("Account-Manager E-mail") == "account_manager_e_mail"
    assert normalize_header("ISSUE_DATE") == "issue_date"


def test_rows_are_numbered_as_in_the_spreadsheet_and_blank_rows_are_skipped():
    table = read_table(csv_bytes([["Number", "Amount"], ["A", "1"], ["", ""], ["B", "2"]]), filename="x.csv")
    assert table.headers == ["number", "amount"]
    assert [(row.number, row.values["number"]) for row in table.rows] == [(2, "A"), (4, "B")]


def test_xlsx_cells_keep_their_dates_and_numbers_and_row_numbers():
    content = xlsx_bytes([["number", "due_date", "amount"], ["A", date(2026, 11, 23), 12.5], [], ["B", None, 3]])
    table = read_table(content, filename="invoices.xlsx")
    assert [row.number for row in table.rows] == [2, 4]
    assert table.rows[0].values == {"number": "A", "due_date": date(2026, 11, 23), "amount": 12.5}


def test_files_that_cannot_be_read_are_refused_as_a_whole():
    with pytest.raises(UnreadableFile):
        read_table(b"  \n", filename="x.csv")
    with pytest.raises(UnreadableFile):
        read_table(b"PK\x03\x04 not really a workbook", filename="x.xlsx")


@pytest.mark.parametrize("text", ["=1+1", "+32 2 123 45 67", "-2", "@SUM(A1)", "\tx", "\rx", "\0x"])
def test_text_that_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert neutralize(text) == "'" + text


def test_numbers_and_plain_text_are_left_alone():
    assert neutralize(Decimal("-2")) == Decimal("-2")
    assert neutralize("Acme") == "Acme"
    assert csv_value(Decimal("-1234.50")) == "-1234,50"
    assert csv_value(date(2026, 11, 23)) == "2026-11-23"


def test_csv_is_utf8_with_bom_and_semicolons_and_reads_back_unchanged():
    content = write_csv(["name", "amount"], [['=HYPERLINK("http://x","y")', Decimal("1.50")], ["Müller; Söhne", 2]])
    assert content.startswith(b"\xef\xbb\xbfname;amount\r\n")
    assert b"'=HYPERLINK" in content
    rows = read_table(content, filename="export.csv").rows
    assert rows[0].values == {"name": '=HYPERLINK("http://x","y")', "amount": "1,50"}
    assert rows[1].values["name"] == "Müller; Söhne"


def test_xlsx_writes_formula_text_as_quoted_text_and_numbers_as_numbers():
    output = io.BytesIO()
    write_xlsx(output, ["name", "amount", "due"], [["=1+1", Decimal("2.50"), date(2026, 1, 2)], ["\0=x", 1, None]],
               title="customers")  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(output.getvalue())).worksheets[0]
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 2.5 and sheet["B2"].data_type == "n"
    assert sheet["C2"].value.date() == date(2026, 1, 2)
    assert sheet["A3"].value == "'=x"


def test_headers_that_match_a_known_column_take_its_name():
    content = csv_bytes(
        [["E-mail", "Account Manager E-mail", "External ref", "Extra Column"], ["a@b.c", "m@b.c", "1", "x"]]
    )
    table = read_table(content, columns=["email", "account_manager_email", "external_ref"])
    assert table.headers == ["email", "account_manager_email", "external_ref", "extra_column"]


def test_a_file_with_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr("tabular.reading.MAX_ROWS", 2)
    assert len(read_table(csv_bytes([["n"], ["1"], [""], [""], ["2"]])).rows) == 2
    with pytest.raises(UnreadableFile, match="too_many_rows"):
        read_table(csv_bytes([["n"], ["1"], ["2"], ["3"]]))
