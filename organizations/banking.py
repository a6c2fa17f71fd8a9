"""Bank account numbers, checked once for everything that holds them: the organization's own accounts
(organizations.bank_accounts), debtors' accounts on mandates (mandates.sepa) and the payment QR code
(invoices.payment_details). Pure functions on schwifty; no models.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
# ISO 9362: bank code, country, location (its second character never "O"), optional branch.
BIC_SHAPE = re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?")

_EEA_CODES = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK"
# The European Economic Area: within it a BIC is no longer needed (EPC rulebook since 2016; EPC069-12 version 002).
EEA_COUNTRIES = frozenset(_EEA_CODES.split())


NOT_A_BIC = _("This is not a BIC: it has 8 or 11 letters and digits, such as GEBABEBB or COBADEFFXXX.")


class AccountError(ValueError):
    """An account number that does not check out: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code, self.message = code, message


def compact(value: str) -> str:
    """Upper-case without spaces (IBANs are printed in groups of four); any other mark is refused as typed."""
    return re.sub(r"\s+", "", value or "").upper()


def bic_needed(iban: str) -> bool:
    """Whether a BIC must be given with this account: only outside the EEA (Switzerland, the UK, …)."""
    return compact(iban)[:2] not in EEA_COUNTRIES


def check_iban(value: str, *, sepa_only: bool = False) -> str:
    """The IBAN compact, or AccountError: `iban_format`, `iban_country` (no IBANs there), `iban_not_sepa` (with
    `sepa_only`: a real IBAN outside the SEPA scheme), `iban_length` or `iban_checksum`."""
    number = compact(value)
    if not IBAN_SHAPE.fullmatch(number):
        raise AccountError(
            "iban_format",
            _("This is not an IBAN: it starts with a country code and two check digits, then letters and digits."),
        )
    iban = IBAN(number, allow_invalid=True)
    try:
        in_sepa_zone = iban.in_sepa_zone
    except schwifty_errors.InvalidCountryCode:
        raise AccountError(
            "iban_country", _("“%(country)s” is not a country that uses IBANs.") % {"country": number[:2]}
        ) from None
    if sepa_only and not in_sepa_zone:
        raise AccountError(
            "iban_not_sepa",
            _("Accounts in %(country)s cannot be debited: the country is not in the SEPA scheme.")
            % {"country": number[:2]},
        )
    try:
        iban.validate()
    except schwifty_errors.InvalidLength:
        raise AccountError(
            "iban_length",
            _("An IBAN from %(country)s has %(expected)s characters; this one has %(actual)s.")
            % {"country": number[:2], "expected": iban.spec.iban_length, "actual": len(number)},
        ) from None
    except schwifty_errors.InvalidChecksumDigits:
        raise AccountError(
            "iban_checksum", _("The IBAN's check digits do not match: please check the number for a typing error.")
        ) from None
    except schwifty_errors.SchwiftyException:
        raise AccountError(
            "iban_format", _("This IBAN does not follow the format used in %(country)s.") % {"country": number[:2]}
        ) from None
    return number


def check_bic(value: str) -> str:
    """The BIC (8 or 11 characters) compact, "" when empty, or AccountError (`bic_format`, `bic_country`).

    Only the structure and the country are checked: schwifty's registry is incomplete (it does not know
    ``COBADEFF`` although it knows ``COBADEFFXXX``), so an unknown BIC is not refused.
    """
    number = compact(value)
    if not number:
        return ""
    if not BIC_SHAPE.fullmatch(number):
        raise AccountError("bic_format", NOT_A_BIC)
    try:
        BIC(number)
    except schwifty_errors.SchwiftyException:
        raise AccountError(
            "bic_country", _("“%(country)s” in this BIC is not a country code.") % {"country": number[4:6]}
        ) from None
    return number


def bic_for_iban(iban: str) -> str:
    """The BIC schwifty's bank registry knows for this IBAN's bank, else "" (inside the EEA that is no error)."""
    try:
        bic = IBAN(compact(iban)).bic
    except schwifty_errors.SchwiftyException:
        return ""
    return str(bic) if bic is not None else ""
