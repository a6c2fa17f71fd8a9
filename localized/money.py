"""Amounts as people type and read them: one parser for every form, one formatter for every output.

`parse_amount("1.234,56", language="nl") == Decimal("1234.56")`; `parse_amount("10,50", language="en")` is
refused (a comma is a thousands separator in English, so `10,50` is neither 10.50 nor 1050): a value is never
stored scaled. `format_money(Decimal("2219684.75"), "EUR", language="nl", country="BE") == "€ 2.219.684,75"`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from django.utils.translation import gettext as _

from localized.locales import number_locale, reader_language

# Spaces people and spreadsheets use as thousands separators: space, no-break space, narrow no-break space.
_SPACES = " \u00a0\u202f\u2009"
_COMMA_DECIMAL = {"nl", "fr", "de"}


class AmountError(ValueError):
    """The text is not an amount in the reader's language; `str(error)` says what form is expected."""


def decimal_separator(language: str | None = None) -> str:
    return "," if reader_language(language) in _COMMA_DECIMAL else "."


def example(language: str | None = None) -> str:
    """How to write one thousand two hundred thirty-four and 56 cents here: `1.234,56` or `1,234.56`."""
    return "1.234,56" if decimal_separator(language) == "," else "1,234.56"


def _refuse(language: str | None) -> AmountError:
    if decimal_separator(language) == ",":
        return AmountError(
            _("Enter an amount such as %(example)s, with a comma before the cents.") % {"example": example(language)}
        )
    return AmountError(
        _("Enter an amount such as %(example)s, with a point before the cents.") % {"example": example(language)}
    )


def _grouped(integer_part: str, separator: str) -> str | None:
    """`1.234.567` -> `1234567` when every group after the first has three digits; None otherwise."""
    groups = integer_part.split(separator)
    if not groups[0].isdigit() or len(groups[0]) > 3 or any(len(g) != 3 or not g.isdigit() for g in groups[1:]):
        return None
    return "".join(groups)


def parse_amount(text: str | Decimal | int | None, *, language: str | None = None, places: int = 2) -> Decimal | None:
    """The amount typed in `text` (None when blank), or AmountError naming the expected form."""
    if text is None:
        return None
    if isinstance(text, (Decimal, int)):
        return Decimal(text)
    raw = str(text).strip()
    if not raw:
        return None
    sign = ""
    if raw[0] in "-+−":
        sign, raw = ("-" if raw[0] in "-−" else ""), raw[1:].strip()
    for space in _SPACES:
        raw = raw.replace(space, " ")
    if not re.fullmatch(r"[0-9 .,']+", raw):
        raise _refuse(language)
    decimal_mark, group_marks = (",", ".' ") if decimal_separator(language) == "," else (".", ", '")
    integer_part, _mark, fraction = raw.rpartition(decimal_mark) if decimal_mark in raw else (raw, "", "")
    if decimal_mark == "," and not _mark and raw.count(".") == 1 and len(raw.split(".")[1]) != 3:
        # `10.50` typed in Dutch: a point followed by one, two or four+ digits cannot be grouping; `1.234`
        # is grouping (an amount never has three decimals).
        integer_part, _mark, fraction = raw.partition(".")
    if fraction and not fraction.isdigit():
        raise _refuse(language)
    for group in group_marks:
        if group in integer_part:
            integer_part = _grouped(integer_part, group)
            if integer_part is None:
                raise _refuse(language)
    if not integer_part.isdigit() and not (integer_part == "" and fraction):
        raise _refuse(language)
    if len(fraction) > places:
        raise AmountError(_("Enter at most %(places)d decimals.") % {"places": places})
    try:
        return Decimal(f"{sign}{integer_part or '0'}.{fraction or '0'}")
    except InvalidOperation as error:  # pragma: no cover - the checks above leave only digits
        raise _refuse(language) from error


_MACHINE = re.compile(r"^-?\d{1,14}(\.\d{1,2})?$")


def parse_machine_amount(text: str) -> Decimal:
    """The machine form that APIs and stored filters use, whatever the reader's language: `1234.56` or `-10`
    (digits, an optional point and at most two decimals); anything else is refused."""
    raw = str(text).strip()
    if not _MACHINE.match(raw):
        raise AmountError(_("Enter an amount such as 1234.56 (digits, a point before the decimals)."))
    return Decimal(raw)


def format_money(
    amount: Decimal | int | float | None,
    currency: str | None,
    *,
    language: str | None = None,
    country: str | None = None,
) -> str:
    """`€ 2.219.684,75` (nl-BE), `2 219 684,75 €` (fr-BE), `2.219.684,75 €` (de), `€2,219,684.75` (en)."""
    if amount is None or amount == "":
        return ""
    locale = number_locale(language, country)
    return format_currency(Decimal(str(amount)), (currency or "EUR").upper(), locale=locale)


def format_number(value: Decimal | int | float | None, *, places: int | None = None, language=None, country=None):
    """A number with the reader's grouping and decimal separator; `places` fixes the decimals."""
    if value is None or value == "":
        return ""
    locale = number_locale(language, country)
    if places is None:
        return format_decimal(Decimal(str(value)), locale=locale)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(Decimal(str(value)), format=pattern, locale=locale, decimal_quantization=True)


def format_amount_input(value: Decimal | int | None, *, language: str | None = None) -> str:
    """An amount as it goes back into an input: no grouping, the reader's decimal separator (`1234,56`)."""
    if value is None or value == "":
        return ""
    text = f"{Decimal(str(value)):.2f}"
    return text.replace(".", decimal_separator(language))
