"""SEPA Direct Debit rules: account numbers, creditor identifiers, mandate references, pain.008 files.

Pure functions: no models, no database, no clock (the caller passes ``today``, computed in the
organization's time zone). Every refusal is a :class:`SepaError` with a stable ``code``, a
translatable ``message`` and, where input came from a structure, the failing ``field``
(``collections[3].debtor_iban``).

Facts and library quirks behind these rules: ../shared/docs/contracts.md section 2. XSD validation alone is
not enough (it accepts wrong IBAN checksums and any characters in references), so every value is
checked here before sepaxml sees it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib.resources import files
from typing import Any, Literal

import xmlschema
from django.utils.translation import gettext_lazy as _
from schwifty import exceptions as schwifty_errors
from schwifty.registry import get_iban_spec
from sepaxml import SepaDD
from text_unidecode import unidecode

from organizations import banking
from organizations.banking import EEA_COUNTRIES, bic_needed  # noqa: F401  (part of this module's API)

PAIN008_VERSIONS = ("pain.008.001.02", "pain.008.001.08", "pain.008.001.09", "pain.008.001.10")
SEQUENCE_TYPES = ("FRST", "RCUR", "OOFF", "FNAL")
SCHEMES = ("CORE", "B2B")
SequenceType = Literal["FRST", "RCUR", "OOFF", "FNAL"]

IDENTIFIER_MAX_LENGTH = 35
NAME_MAX_LENGTH = 70
DESCRIPTION_MAX_LENGTH = 140
# The EPC rulebook caps a single SEPA Direct Debit at 999,999,999.99 EUR.
MAX_AMOUNT = Decimal("999999999.99")
# Schema errors beyond this many add nothing a person can act on.
MAX_REPORTED_SCHEMA_ERRORS = 20

# The SEPA basic Latin character set (EPC implementation guidelines), space included.
_SEPA_CHARACTERS = r"A-Za-z0-9/\-?:().,'+ "
_SEPA_TEXT = re.compile(f"[{_SEPA_CHARACTERS}]*")
_NOT_SEPA_CHARACTER = re.compile(f"[^{_SEPA_CHARACTERS}]")
# Conventional stand-ins for two characters that are common in names and invoice numbers.
_TEXT_SUBSTITUTES = str.maketrans({"&": "+", "_": "-"})

# ISO 9362 as the pain.008.001.02 schema states it (the stricter of the schema versions).
_CREDITOR_ID_SHAPE = re.compile(r"([A-Z]{2})([0-9]{2})([A-Z0-9]{3})([A-Z0-9]{1,28})")
# A generated reference starts and ends with a letter or digit and holds no spaces.
_REFERENCE_PREFIX = re.compile(r"[A-Z0-9]([A-Z0-9/\-?:().,'+]*[A-Z0-9])?")
_REFERENCE_SEQUENCE_DIGITS = 6


class SepaError(ValueError):
    """A value that SEPA rules or the pain.008 schema refuse.

    ``code`` is stable for programs, ``message`` is for people (lazy, translated when shown),
    ``field`` names the input that failed and ``details`` lists schema errors.
    """

    def __init__(self, code: str, message: Any, *, field: str | None = None, details: Sequence[str] = ()) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.field = field
        self.details = tuple(details)

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}" if self.field else str(self.message)
        return "\n".join([text, *self.details])

    def at(self, field: str) -> SepaError:
        """The same error, located at ``field``."""
        return SepaError(self.code, self.message, field=field, details=self.details)


@dataclass(frozen=True, kw_only=True)
class Creditor:
    """The organization that collects: its account and its SEPA Creditor Identifier."""

    name: str
    iban: str
    bic: str | None = None
    creditor_id: str


@dataclass(frozen=True, kw_only=True)
class Collection:
    """One direct debit of one debtor under one signed mandate."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    debtor_name: str
    debtor_iban: str
    debtor_bic: str | None = None
    mandate_reference: str
    mandate_date: date
    sequence_type: SequenceType
    collection_date: date
    description: str


# Accounts ---------------------------------------------------------------------------------------


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def country_in_sepa(country_code: str) -> bool:
    """Whether accounts in this country (ISO 3166 alpha-2) can take part in SEPA Direct Debit."""
    try:
        return get_iban_spec((country_code or "").strip().upper()).in_sepa_zone
    except schwifty_errors.InvalidCountryCode:
        return False


def validate_iban(value: str) -> str:
    """Return the IBAN upper-case without spaces if it can be debited through SEPA.

    Refuses (``SepaError.code``): ``iban_format``, ``iban_country`` (no IBANs there),
    ``iban_not_sepa`` (a real IBAN outside the SEPA scheme), ``iban_length``, ``iban_checksum``.
    """
    try:
        return banking.check_iban(value, sepa_only=True)
    except banking.AccountError as error:
        raise SepaError(error.code, error.message) from None


def bic_for_iban(iban: str) -> str | None:
    """The BIC of the bank holding ``iban``, from schwifty's bank registry; ``None`` if unknown.

    Since 2016 a BIC is optional inside the EEA, so ``None`` is not an error. Raises ``SepaError``
    for an IBAN that :func:`validate_iban` refuses.
    """
    return banking.bic_for_iban(validate_iban(iban)) or None


def validate_bic(value: str) -> str:
    """Return the BIC (8 or 11 characters) upper-case without spaces; an unknown but well-formed BIC passes."""
    try:
        bic = banking.check_bic(value)
    except banking.AccountError as error:
        raise SepaError(error.code, error.message) from None
    if not bic:  # where SEPA asks for a BIC, an empty one is no BIC
        raise SepaError("bic_format", banking.NOT_A_BIC)
    return bic


# Creditor identifier ----------------------------------------------------------------------------


def creditor_id_check_digits(*, country_code: str, national_id: str) -> str:
    """The two check digits of a SEPA Creditor Identifier (ISO 7064 MOD 97-10).

    Computed over national id + country code + "00" with letters as numbers (A=10 ... Z=35);
    the creditor business code is not part of it.
    """
    digits = "".join(str(int(character, 36)) for character in f"{national_id}{country_code}00")
    return f"{98 - int(digits) % 97:02d}"


def validate_creditor_id(value: str) -> str:
    """Return the SEPA Creditor Identifier upper-case without spaces (e.g. ``DE98ZZZ09999999999``).

    Format: country code, 2 check digits, 3-character business code (ignored for the check
    digits), national id of up to 28 letters and digits.
    """
    compact = _compact(value)
    match = _CREDITOR_ID_SHAPE.fullmatch(compact)
    if match is None:
        raise SepaError(
            "creditor_id_format",
            _(
                "This is not a SEPA creditor identifier: a country code, two check digits, a three-character "
                "business code (often ZZZ) and the national identifier, such as DE98ZZZ09999999999."
            ),
        )
    country_code, check_digits, _business_code, national_id = match.groups()
    if not country_in_sepa(country_code):
        raise SepaError(
            "creditor_id_country",
            _("Creditor identifiers from “%(country)s” are not part of the SEPA scheme.") % {"country": country_code},
        )
    if creditor_id_check_digits(country_code=country_code, national_id=national_id) != check_digits:
        raise SepaError(
            "creditor_id_checksum",
            _("The creditor identifier's check digits do not match: please check it for a typing error."),
        )
    return compact


# Identifiers: mandate reference, end-to-end id, message id ------------------------------------


def _validate_identifier(value: str, *, kind: str) -> str:
    """Shared EPC rules for references: 1-35 SEPA characters, no '/' at either end, no '//'."""
    identifier = (value or "").strip()
    if not identifier:
        raise SepaError(f"{kind}_required", _("This reference is required."))
    if len(identifier) > IDENTIFIER_MAX_LENGTH:
        raise SepaError(
            f"{kind}_length",
            _("Use at most %(limit)s characters (this has %(length)s).")
            % {"limit": IDENTIFIER_MAX_LENGTH, "length": len(identifier)},
        )
    if not _SEPA_TEXT.fullmatch(identifier):
        raise SepaError(
            f"{kind}_characters",
            _("Only letters a-z and A-Z, digits, spaces and / - ? : ( ) . , ' + are allowed."),
        )
    if identifier.startswith("/") or identifier.endswith("/") or "//" in identifier:
        raise SepaError(f"{kind}_slash", _("A reference may not start or end with “/” or contain “//”."))
    return identifier


def validate_mandate_reference(value: str) -> str:
    """Return the Unique Mandate Reference (UMR) without surrounding spaces if it follows EPC rules.

    At most 35 characters from ``a-z A-Z 0-9 / - ? : ( ) . , ' +`` and space, not starting or
    ending with '/', no '//'. Case is kept: banks compare UMRs case-insensitively, so uniqueness
    must be checked case-insensitively too.
    """
    return _validate_identifier(value, kind="mandate_reference")


def mandate_reference(*, prefix: str, sequence: int) -> str:
    """The Unique Mandate Reference for ``sequence`` under ``prefix``: ``ACME-000042``.

    Deterministic; the caller guarantees a sequence is never reused for the same creditor
    identifier. The prefix is upper-cased (UMRs compare case-insensitively), must start and end
    with a letter or digit and may contain ``/ - ? : ( ) . , ' +`` but no spaces.
    """
    normalised_prefix = (prefix or "").strip().upper()
    if not _REFERENCE_PREFIX.fullmatch(normalised_prefix):
        raise SepaError(
            "mandate_reference_prefix",
            _("The prefix starts and ends with a letter or digit and may contain / - ? : ( ) . , ' + in between."),
        )
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise SepaError("mandate_reference_sequence", _("The sequence number must be a positive whole number."))
    reference = f"{normalised_prefix}-{sequence:0{_REFERENCE_SEQUENCE_DIGITS}d}"
    return validate_mandate_reference(reference)


# pain.008 ---------------------------------------------------------------------------------------


def _field(name: str, check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except SepaError as error:
        raise error.at(name) from None


def _sepa_text(value: str, *, field: str, max_length: int, truncate: bool) -> str:
    """Transliterate to the SEPA character set ("Müller" -> "Muller"); refuse empty text."""
    text = _NOT_SEPA_CHARACTER.sub(" ", unidecode(value or "").translate(_TEXT_SUBSTITUTES))
    text = " ".join(text.split())
    if not text:
        raise SepaError("text_required", _("This text is required."), field=field)
    if len(text) > max_length and not truncate:
        raise SepaError(
            "text_length",
            _("Use at most %(limit)s characters (this has %(length)s).") % {"limit": max_length, "length": len(text)},
            field=field,
        )
    return text[:max_length].rstrip()


def _choice(value: str, choices: Sequence[str], *, field: str, code: str) -> str:
    if value not in choices:
        raise SepaError(
            code,
            _("“%(value)s” is not one of %(choices)s.") % {"value": value, "choices": ", ".join(choices)},
            field=field,
        )
    return value


def _cents(amount: Decimal, *, field: str) -> int:
    """The amount in euro cents, refusing anything a bank would refuse or round."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise SepaError("amount_type", _("The amount must be a decimal number."), field=field)
    value = Decimal(amount)
    if not value.is_finite() or value <= 0:
        raise SepaError("amount_not_positive", _("The amount must be more than zero."), field=field)
    if value > MAX_AMOUNT:
        raise SepaError("amount_too_large", _("A single direct debit cannot exceed 999,999,999.99."), field=field)
    if value != value.quantize(Decimal("0.01")):
        raise SepaError("amount_precision", _("The amount cannot have more than two decimals."), field=field)
    return int(value * 100)


def _creditor_config(creditor: Creditor, *, version: str, scheme: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": _sepa_text(creditor.name, field="creditor.name", max_length=NAME_MAX_LENGTH, truncate=True),
        "IBAN": _field("creditor.iban", validate_iban, creditor.iban),
        "batch": True,
        "creditor_id": _field("creditor.creditor_id", validate_creditor_id, creditor.creditor_id),
        "currency": "EUR",
        "instrument": _choice(scheme, SCHEMES, field="scheme", code="scheme_choice"),
    }
    bic = _field("creditor.bic", validate_bic, creditor.bic) if creditor.bic else bic_for_iban(config["IBAN"])
    if bic:
        config["BIC"] = bic
    elif version == "pain.008.001.02":
        raise SepaError(
            "bic_required", _("pain.008.001.02 needs the creditor bank's BIC; please enter it."), field="creditor.bic"
        )
    return config


def _check_dates(collection: Collection, *, index: int, today: date) -> None:
    # A bank needs the file at least one business day before the collection (SDD rulebook D-1),
    # so a collection today or earlier can never be honoured.
    if collection.collection_date <= today:
        raise SepaError(
            "collection_date_not_future",
            _("The collection date must be after today."),
            field=f"collections[{index}].collection_date",
        )
    if collection.mandate_date > today:
        raise SepaError(
            "mandate_date_future",
            _("The mandate cannot be signed in the future."),
            field=f"collections[{index}].mandate_date",
        )


def _payment(collection: Collection, *, index: int, today: date) -> dict[str, Any]:
    """sepaxml's payment dict for one collection (a fresh dict: sepaxml mutates it)."""
    at = f"collections[{index}]."
    if collection.currency != "EUR":
        raise SepaError("currency_not_eur", _("SEPA direct debits are in euro only."), field=at + "currency")
    _choice(collection.sequence_type, SEQUENCE_TYPES, field=at + "sequence_type", code="sequence_type_choice")
    _check_dates(collection, index=index, today=today)
    payment: dict[str, Any] = {
        "name": _sepa_text(collection.debtor_name, field=at + "debtor_name", max_length=NAME_MAX_LENGTH, truncate=True),
        "IBAN": _field(at + "debtor_iban", validate_iban, collection.debtor_iban),
        "amount": _cents(collection.amount, field=at + "amount"),
        "type": collection.sequence_type,
        "collection_date": collection.collection_date,
        "mandate_id": _field(at + "mandate_reference", validate_mandate_reference, collection.mandate_reference),
        "mandate_date": collection.mandate_date,
        "description": _sepa_text(
            collection.description, field=at + "description", max_length=DESCRIPTION_MAX_LENGTH, truncate=False
        ),
        "endtoend_id": _field(at + "end_to_end_id", _end_to_end_id, collection.end_to_end_id),
    }
    if collection.debtor_bic:
        payment["BIC"] = _field(at + "debtor_bic", validate_bic, collection.debtor_bic)
    return payment


def _end_to_end_id(value: str) -> str:
    return _validate_identifier(value, kind="end_to_end_id")


def _refuse_duplicate_end_to_end_ids(payments: Sequence[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for index, payment in enumerate(payments):
        if payment["endtoend_id"] in seen:
            raise SepaError(
                "end_to_end_id_duplicate",
                _("Each collection in a file needs its own end-to-end id."),
                field=f"collections[{index}].end_to_end_id",
            )
        seen.add(payment["endtoend_id"])


class _DirectDebitDocument(SepaDD):
    """sepaxml's document with our own MsgId: the ``msg_id`` option arrived after sepaxml 2.7.0."""

    def __init__(self, config: dict[str, Any], *, schema: str, message_id: str | None) -> None:
        self._message_id = message_id
        super().__init__(config, schema=schema, clean=False)

    def _create_header(self) -> None:
        if self._message_id:
            self.msg_id = self._message_id
        super()._create_header()


def build_pain008(
    *,
    creditor: Creditor,
    collections: Sequence[Collection],
    version: str,
    today: date,
    scheme: str = "CORE",
    message_id: str | None = None,
) -> bytes:
    """A pain.008 direct-debit initiation (UTF-8 XML bytes), validated against its XSD.

    One ``PmtInf`` per (sequence type, collection date). ``today`` is the organization's local
    date; collections must fall after it. ``message_id`` becomes ``GrpHdr/MsgId`` (sepaxml makes
    one up when it is ``None``); keep it to match the bank's status reports. Names and the
    description are transliterated to the SEPA character set; names are cut at 70 characters,
    a description over 140 is refused. Raises ``SepaError`` naming the failing field.
    """
    _choice(version, PAIN008_VERSIONS, field="version", code="version_choice")
    config = _creditor_config(creditor, version=version, scheme=scheme)
    if message_id is not None:
        message_id = _field("message_id", functools.partial(_validate_identifier, kind="message_id"), message_id)
    if not collections:
        raise SepaError("collections_empty", _("There is nothing to collect."), field="collections")
    payments = [_payment(collection, index=index, today=today) for index, collection in enumerate(collections)]
    _refuse_duplicate_end_to_end_ids(payments)
    document = _DirectDebitDocument(config, schema=version, message_id=message_id)
    for payment in payments:
        document.add_payment(payment)
    xml_bytes = document.export(validate=False)
    validate_pain008(xml_bytes, version)
    return xml_bytes


@functools.cache
def _schema(version: str) -> xmlschema.XMLSchema:
    # Compiling an XSD takes 0.1-0.5 s; compile each version once per process.
    return xmlschema.XMLSchema(str(files("sepaxml") / "schemas" / f"{version}.xsd"))


def validate_pain008(xml_bytes: bytes, version: str) -> None:
    """Check ``xml_bytes`` against the pain.008 XSD bundled with sepaxml; ``None`` when valid.

    Raises ``SepaError`` (code ``pain008_schema``) whose ``details`` list the first schema errors
    as ``path: reason``, or ``pain008_unreadable`` for XML that cannot be parsed (entities and DTDs
    are refused, so the function is safe on files from outside).
    """
    schema = _schema(_choice(version, PAIN008_VERSIONS, field="version", code="version_choice"))
    try:
        resource = xmlschema.XMLResource(xml_bytes, defuse="always")
        errors = list(itertools.islice(schema.iter_errors(resource), MAX_REPORTED_SCHEMA_ERRORS))
    except xmlschema.XMLResourceError as error:
        raise SepaError(
            "pain008_unreadable", _("This is not a readable XML file."), details=[str(error).strip()]
        ) from None
    if errors:
        raise SepaError(
            "pain008_schema",
            _("The file does not match the %(version)s schema.") % {"version": version},
            details=[f"{error.path}: {error.reason}" for error in errors],
        )
