"""SEPA R-transaction reason codes (rejects, returns, refunds) a bank reports for a direct debit."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RETURN_REASONS = {
    "AC01": _("Account number incorrect"),
    "AC04": _("Account closed"),
    "AC06": _("Account blocked for direct debits"),
    "AG01": _("Direct debits not allowed on this account"),
    "AG02": _("Invalid transaction code or file format"),
    "AM04": _("Insufficient funds"),
    "AM05": _("Duplicate collection"),
    "BE05": _("Creditor identifier unknown to the bank"),
    "FF01": _("Invalid file format"),
    "MD01": _("No valid mandate"),
    "MD02": _("Mandate data missing or incorrect"),
    "MD06": _("Refund requested by the debtor"),
    "MD07": _("Debtor deceased"),
    "MS02": _("Refused by the debtor"),
    "MS03": _("Reason not specified by the bank"),
    "RC01": _("Bank identifier (BIC) incorrect"),
    "RR01": _("Regulatory reason: debtor account or identification missing"),
    "RR02": _("Regulatory reason: debtor name or address missing"),
    "RR03": _("Regulatory reason: creditor name or address missing"),
    "RR04": _("Regulatory reason"),
    "SL01": _("Blocked by a service of the debtor's bank"),
}

# The mandate can never be used again: it is cancelled, so no later batch picks the customer up.
MANDATE_ENDING_REASONS = frozenset({"MD01", "MD07", "AC04"})


def return_reason_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} – {label}") for code, label in RETURN_REASONS.items()]
