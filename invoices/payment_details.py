"""How to pay an invoice, or a customer's group of invoices: amount due, IBAN, BIC, reference and the EPC QR code.

The EPC QR code ("GiroCode", EPC069-12 version 002) lets a banking app fill in a SEPA credit transfer:

    BCD / 002 / 1 (UTF-8) / SCT / BIC (may be empty in the EEA) / beneficiary name (max 70) / IBAN /
    EUR<amount> (0.01-999999999.99, a point, 2 decimals) / purpose (empty) /
    structured remittance: an ISO 11649 RF reference (max 35) / unstructured remittance (max 140)

one element per line, either the structured or the unstructured remittance, never both, and nothing after the
last populated element. Only euro transfers have a QR code.

A Belgian structured communication (+++090/9337/55493+++) is not an ISO 11649 reference: EPC069-12 defines the
structured field as one (banks check it as RF), so a Belgian communication there risks a refused code. It goes in
the unstructured field, written with its `+++` and slashes, the form Belgian banks recognise in a free
communication and turn into the structured one. An RF reference goes in the structured field. Without a reference
the invoice number goes in the unstructured field.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal

import segno

from invoices import references
from invoices.models import Invoice
from localized.money import format_money
from organizations.bank_accounts import bank_account_for
from organizations.banking import bic_needed
from organizations.models import BankAccount, Organization

EPC_MAX_AMOUNT = Decimal("999999999.99")


def _line(value: str) -> str:
    return " ".join((value or "").split())


def epc_payload(*, account: BankAccount, amount: Decimal, reference: str = "", text: str = "") -> str | None:
    """The EPC069-12 payload for a euro transfer into `account`; None when no valid code can be made (not euro,
    nothing to pay, an amount above the maximum, or an account outside the EEA without BIC)."""
    if account.currency != "EUR" or not (Decimal("0.01") <= amount <= EPC_MAX_AMOUNT):
        return None
    if not account.bic and bic_needed(account.iban):  # EPC069-12 version 002: no BIC needed inside the EEA
        return None
    structured, unstructured = "", _line(text)[:140]
    if references.is_valid_creditor(reference):
        structured, unstructured = reference, ""
    elif reference:
        structured, unstructured = "", references.display(reference)
    elements = [
        "BCD",
        "002",
        "1",
        "SCT",
        account.bic,
        _line(account.beneficiary)[:70],
        account.iban,
        f"EUR{amount.quantize(Decimal('0.01')):f}",
        "",
        structured,
        unstructured,
    ]
    while elements[-1] == "":
        elements.pop()
    return "\n".join(elements)


def qr_code(payload: str) -> segno.QRCode:
    # Error correction M as EPC069-12 asks; no boost, so every app reads the same code.
    return segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")


QR_SCALE = 4  # pixels per module in PNGs: about 200 pixels wide for an EPC payload, easy to scan from a screen


def qr_png(payload: str, *, scale: int = QR_SCALE) -> bytes:
    buffer = io.BytesIO()
    qr_code(payload).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def qr_svg(payload: str, *, scale: int = 4) -> str:
    return qr_code(payload).svg_inline(scale=scale, border=4, title="EPC QR")


@dataclass
class InvoiceToPay:
    """One transfer: an invoice, its open amount and reference, and its QR code when it is in euro."""

    invoice_id: int
    number: str
    amount: Decimal
    amount_text: str
    reference: str  # compact
    reference_display: str
    epc_payload: str | None = None

    @property
    def qr_png(self) -> bytes:
        return qr_png(self.epc_payload) if self.epc_payload else b""

    @property
    def qr_svg(self) -> str:
        return qr_svg(self.epc_payload) if self.epc_payload else ""

    @property
    def content_id(self) -> str:
        """The Content-ID of its QR code as an inline image in an e-mail (without <>)."""
        return f"epc-qr-{self.invoice_id}@inline"


@dataclass
class PaymentDetails:
    """Where to pay the invoices of one currency: the account, the total and one transfer per invoice."""

    currency: str
    account: BankAccount | None
    total: Decimal
    total_text: str
    invoices: list[InvoiceToPay] = field(default_factory=list)

    @property
    def iban_display(self) -> str:
        return self.account.iban_display if self.account else ""

    @property
    def bic(self) -> str:
        return self.account.bic if self.account else ""

    @property
    def beneficiary(self) -> str:
        return self.account.beneficiary if self.account else ""


def payment_details(
    *,
    organization: Organization,
    invoices: list[Invoice],
    language: str | None = None,
    accounts: dict[tuple[int, str], BankAccount | None] | None = None,
) -> list[PaymentDetails]:
    """How to pay these invoices (open amounts), one entry per currency in the order the invoices come.

    An entry has no account when the organization has none for that currency: messages then leave the block out.
    `accounts` keeps the accounts read per (organization, currency) across calls (a batch of messages).
    """
    accounts = {} if accounts is None else accounts
    by_currency: dict[str, list[Invoice]] = {}
    for invoice in invoices:
        by_currency.setdefault(invoice.currency, []).append(invoice)
    result = []
    for currency, group in by_currency.items():
        key = (organization.pk, currency)
        if key not in accounts:
            accounts[key] = bank_account_for(organization=organization, currency=currency)
        account = accounts[key]
        total = sum((invoice.open_amount for invoice in group), Decimal("0"))
        to_pay = [_to_pay(invoice, account, language, organization.country) for invoice in group]
        total_text = format_money(total, currency, language=language, country=organization.country)
        result.append(PaymentDetails(currency, account, total, total_text, to_pay))
    return result


def _to_pay(invoice: Invoice, account: BankAccount | None, language: str | None, country: str) -> InvoiceToPay:
    amount, reference = invoice.open_amount, invoice.payment_reference
    return InvoiceToPay(
        invoice_id=invoice.pk,
        number=invoice.number,
        amount=amount,
        amount_text=format_money(amount, invoice.currency, language=language, country=country),
        reference=reference,
        reference_display=references.display(reference),
        epc_payload=epc_payload(account=account, amount=amount, reference=reference, text=invoice.number)
        if account
        else None,
    )


def payment_details_for_invoice(*, invoice: Invoice, language: str | None = None) -> PaymentDetails:
    return payment_details(organization=invoice.organization, invoices=[invoice], language=language)[0]
