"""Payment references: what a debtor quotes with a transfer, so the payment finds its invoice.

Two formats, stored compact (what `normalize` makes of anything a person or a bank writes):
- Belgian structured communication (OGM/VCS): 10 digits and 2 check digits, the 10-digit number modulo 97
  (97 when the remainder is 0). Stored `090933755493`, shown `+++090/9337/55493+++`.
- ISO 11649 creditor reference: `RF`, 2 check digits (ISO 7064 MOD 97-10), up to 21 letters and digits.
  Stored `RF18539007547034`, shown in groups of four: `RF18 5390 0754 7034`.

Generated references use the invoice's id as the 10-digit number: unique without a counter or a lock, and
computable in SQL for a whole import at once (`reference_expression`) as in Python (`generate`).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, CharField, F, IntegerField, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Concat, LPad, Mod
from django.utils.translation import gettext as _

STRUCTURED = "structured"
CREDITOR = "rf"
NONE = "none"

_NOISE = re.compile(r"[\s+/*.\-]")
_STRUCTURED = re.compile(r"[0-9]{12}")
_CREDITOR = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")


def normalize(text: str) -> str:
    """`+++090/9337/55493+++`, `090-9337-55493`, `rf18 5390 0754 7034` -> `090933755493`, `RF18539007547034`."""
    return _NOISE.sub("", text or "").upper()


def structured_check(base: int) -> int:
    remainder = base % 97
    return remainder or 97


def structured(base: int) -> str:
    """The compact structured communication for a number of at most 10 digits."""
    return f"{base:010d}{structured_check(base):02d}"


def _iso7064_number(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text))


def creditor(base: str) -> str:
    """The compact RF creditor reference for `base` (1-21 letters and digits)."""
    check = 98 - _iso7064_number(f"{base}RF00") % 97
    return f"RF{check:02d}{base}"


def is_valid_structured(compact: str) -> bool:
    return bool(_STRUCTURED.fullmatch(compact)) and structured_check(int(compact[:10])) == int(compact[10:])


def is_valid_creditor(compact: str) -> bool:
    return bool(_CREDITOR.fullmatch(compact)) and _iso7064_number(compact[4:] + compact[:4]) % 97 == 1


def generate(reference_format: str, invoice_id: int) -> str:
    """The reference an invoice gets in an organization using `reference_format` (compact; "" for none)."""
    if reference_format == STRUCTURED:
        return structured(invoice_id)
    if reference_format == CREDITOR:
        return creditor(f"{invoice_id:010d}")
    return ""


def variants(reference_format: str, invoice_id: int) -> list[str]:
    """Other references for an invoice whose generated one was taken by a reference brought by an import:
    the id with a leading digit 1-9 (ids stay below 10**9 long before they reach that)."""
    return [generate(reference_format, digit * 10**9 + invoice_id) for digit in range(1, 10)]


def reference_expression(reference_format: str, pk: Combinable | None = None):
    """`generate` as a database expression over the invoice's id: one UPDATE fills a whole import (or the
    existing invoices in a migration). SQLite and PostgreSQL both have MOD and LPAD (Django adds LPAD to SQLite).
    """
    pk = pk if pk is not None else F("pk")
    base = LPad(Cast(pk, CharField()), 10, Value("0"))
    if reference_format == STRUCTURED:
        # (id - 1) mod 97 + 1 is id mod 97, but 97 where that is 0, as the structured communication wants.
        check = Cast(Mod(pk - Value(1), 97) + Value(1), IntegerField())  # SQLite's MOD answers a float
        return Concat(base, LPad(Cast(check, CharField()), 2, Value("0")), output_field=CharField())
    if reference_format == CREDITOR:
        # base + "RF00" as digits is base * 10**6 + 271500 (R=27, F=15); the base is at most 10 digits.
        # In 64 bits: a 10-digit id times 10**6 overflows PostgreSQL's 32-bit integer.
        wide = Cast(pk, BigIntegerField()) * Value(1_000_000) + Value(271_500)
        check = Cast(Value(98) - Mod(wide, 97), IntegerField())
        return Concat(Value("RF"), LPad(Cast(check, CharField()), 2, Value("0")), base, output_field=CharField())
    return Value("")


def clean(text: str) -> str:
    """A reference supplied by an import or the API, compact; ValidationError unless it is a valid structured
    communication or RF creditor reference."""
    compact = normalize(text)
    if not compact:
        return ""
    if compact.startswith("RF"):
        if not is_valid_creditor(compact):
            raise ValidationError(
                _(
                    "This RF creditor reference is not valid: RF, two check digits, then up to 21 letters and digits, "
                    "such as RF18 5390 0754 7034."
                ),
                code="reference_invalid",
            )
        return compact
    if not is_valid_structured(compact):
        raise ValidationError(
            _(
                "This structured communication is not valid: 12 digits whose last two are the check digits, "
                "such as +++090/9337/55493+++."
            ),
            code="reference_invalid",
        )
    return compact


def display(compact: str) -> str:
    """How people read a stored reference: `+++090/9337/55493+++` or `RF18 5390 0754 7034`."""
    if _STRUCTURED.fullmatch(compact or ""):
        return f"+++{compact[:3]}/{compact[3:7]}/{compact[7:]}+++"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact or ""), 4))
