"""Tenant-editable message texts with a whitelist of placeholders: `{customer_name}`, `{invoice_table}`.

Texts never run template code: only bare names from PLACEHOLDERS are allowed (no attribute access,
indexing, conversions or format specs), `{{` and `}}` write literal braces, and every value is escaped
for HTML. `validate_text` names the unknown placeholders so the editor can show them.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html import escape

from django.utils.translation import gettext_lazy as _

from invoices.payment_details import PaymentDetails
from localized import dates
from localized.context import override as localized_override
from localized.money import format_money
from messaging import payment_block

PLACEHOLDERS = {
    "customer_name": _("Customer name"),
    "customer_reference": _("Customer reference (your number for them)"),
    "contact_name": _("Name of the contact the message is addressed to"),
    "organization_name": _("Your organization's name"),
    "organization_email": _("Your reply-to e-mail address"),
    "organization_address": _("Your organization's address"),
    "organization_vat": _("Your VAT number"),
    "invoice_number": _("Invoice number (the oldest one, in grouped messages)"),
    "invoice_due_date": _("Due date of that invoice"),
    "invoice_count": _("Number of invoices in the message"),
    "invoice_table": _("Table of the invoices: number, due date, days overdue, open amount"),
    "amount_due": _("Total open amount, with currency"),
    "payment_details": _(
        "How to pay: amount due, IBAN, BIC, payment reference and (euro) a QR code for banking apps; "
        "left out when you have no bank account for the currency"
    ),
    "days_overdue": _("Days overdue of the oldest invoice"),
    "oldest_due_date": _("Due date of the oldest invoice"),
    # Direct-debit pre-notifications (empty in other messages).
    "collection_date": _("Direct-debit collection date"),
    "mandate_reference": _("Mandate reference"),
    "creditor_id": _("Your SEPA creditor identifier"),
    "signing_link": _("Link to sign the SEPA mandate (a button in HTML; mandate invitations and reminders)"),
    "creditor_name": _("Creditor name of the mandate profile (mandate messages)"),
    "signed_at": _("Date and time the mandate was signed, in your time zone (signed-copy e-mail)"),
}

_formatter = string.Formatter()


class TemplateTextError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def placeholders_in(text: str) -> list[str]:
    """The placeholder names used in `text`; raises TemplateTextError for anything that is not a bare name."""
    names, problems = [], []
    try:
        parsed = list(_formatter.parse(text))
    except ValueError as error:
        raise TemplateTextError([str(_("Unbalanced braces: write {{ and }} for literal braces."))]) from error
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            problems.append(str(_("“{%(name)s}” is not a placeholder.")) % {"name": name})
        elif name not in PLACEHOLDERS:
            problems.append(str(_("Unknown placeholder {%(name)s}.")) % {"name": name})
        else:
            names.append(name)
    if problems:
        raise TemplateTextError(problems)
    return names


def validate_text(text: str) -> None:
    placeholders_in(text)


@dataclass
class InvoiceLine:
    number: str
    due_date: date
    days_overdue: int
    open_amount: Decimal
    currency: str


@dataclass
class MessageContext:
    """Everything a message may say; built by the engine (or from sample data for previews)."""

    customer_name: str
    customer_reference: str
    contact_name: str
    organization_name: str
    organization_email: str
    organization_address: str
    organization_vat: str
    invoices: list[InvoiceLine]
    language: str
    # The organization's country and time zone: dates and amounts are written as that country does, in the
    # reader's language, and any moment in its zone ("" = as currently active).
    country: str = ""
    time_zone: str = ""
    # Direct-debit pre-notifications only.
    collection_date: date | None = None
    mandate_reference: str = ""
    creditor_id: str = ""
    signing_link: str = ""  # mandate messages only
    creditor_name: str = ""  # mandate messages only
    signed_at: datetime | None = None  # the signed-copy e-mail only
    # How to pay, per currency (invoices.payment_details); empty: `{payment_details}` renders nothing.
    payments: list[PaymentDetails] = field(default_factory=list)
    # QR codes in HTML: `cid:` references to inline images attached to the e-mail (delivery), or data: URIs
    # (previews in the browser, where there is no e-mail to attach to).
    inline_images: bool = False
    # The placeholder values per flavour (plain, HTML), computed once: a message renders its subject and
    # body from the same context.
    _values: dict[bool, dict[str, str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def values(self, *, html: bool) -> dict[str, str]:
        if html not in self._values:
            self._values[html] = self._compute(html=html)
        return self._values[html]

    def _compute(self, *, html: bool) -> dict[str, str]:
        with localized_override(country=self.country or None, time_zone=self.time_zone or None, language=self.language):
            oldest = min(self.invoices, key=lambda line: line.due_date) if self.invoices else None
            currency = self.invoices[0].currency if self.invoices else ""
            total = sum((line.open_amount for line in self.invoices), Decimal("0"))
            plain = {
                "customer_name": self.customer_name, "customer_reference": self.customer_reference,
                "contact_name": self.contact_name or self.customer_name, "organization_name": self.organization_name,
                "organization_email": self.organization_email, "organization_address": self.organization_address,
                "organization_vat": self.organization_vat, "invoice_number": oldest.number if oldest else "",
                "invoice_due_date": _long_date(oldest.due_date) if oldest else "",
                "invoice_count": str(len(self.invoices)),
                "amount_due": format_money(total, currency),
                "days_overdue": str(oldest.days_overdue) if oldest else "0",
                "oldest_due_date": _long_date(oldest.due_date) if oldest else "",
                "collection_date": _long_date(self.collection_date) if self.collection_date else "",
                "mandate_reference": self.mandate_reference, "creditor_id": self.creditor_id,
                "creditor_name": self.creditor_name or self.organization_name,
                "signed_at": _moment(self.signed_at) if self.signed_at else "",
            }  # fmt: skip
            values = {key: escape(value) for key, value in plain.items()} if html else plain
            values["invoice_table"] = self._table_html() if html else self._table_text()
            values["signing_link"] = self._signing_button() if html else self.signing_link
            values["payment_details"] = (
                payment_block.as_html(self.payments, inline_images=self.inline_images)
                if html
                else payment_block.as_text(self.payments)
            )
        return values

    def qr_images(self) -> list[tuple[str, str, str]]:
        """(content id, file name, EPC payload) of the QR codes the HTML body shows, in order."""
        return payment_block.qr_images(self.payments)

    def _signing_button(self) -> str:
        """A button for the link, with the address under it for mail programs that hide buttons."""
        if not self.signing_link:
            return ""
        url = escape(self.signing_link)
        label = escape(str(_("Sign the mandate")))
        button = (
            f'<a href="{url}" style="display:inline-block;padding:10px 20px;background:#1f4fd1;color:#ffffff;'
            f'border-radius:6px;text-decoration:none;font-weight:600">{label}</a>'
        )
        return f'{button}<br><a href="{url}" style="font-size:12px;color:#555555">{url}</a>'

    def _table_text(self) -> str:
        rows = [
            f"{line.number:<16} {_date(line.due_date):>12} {line.days_overdue:>5} "
            f"{format_money(line.open_amount, line.currency):>16}"
            for line in self.invoices
        ]
        header = f"{_('Invoice')!s:<16} {_('Due date')!s:>12} {_('Days')!s:>5} {_('Open amount')!s:>16}"
        return "\n".join([header, *rows])

    def _table_html(self) -> str:
        cell = 'style="padding:4px 10px;border-bottom:1px solid #e4e7ec;text-align:{}"'
        head = "".join(
            f"<th {cell.format(align)}>{escape(str(label))}</th>"
            for label, align in (
                (_("Invoice"), "left"),
                (_("Due date"), "left"),
                (_("Days overdue"), "right"),
                (_("Open amount"), "right"),
            )
        )
        rows = "".join(
            f"<tr><td {cell.format('left')}>{escape(line.number)}</td>"
            f"<td {cell.format('left')}>{_date(line.due_date)}</td>"
            f"<td {cell.format('right')}>{line.days_overdue}</td>"
            f"<td {cell.format('right')}>{escape(format_money(line.open_amount, line.currency))}</td></tr>"
            for line in self.invoices
        )
        return f'<table style="border-collapse:collapse"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _long_date(value: date) -> str:
    """`3 december 2026`: in sentences."""
    return dates.format_date(value, style="long")


def _moment(value: datetime) -> str:
    """`3 december 2026, 10:16 CET`: a moment in the organization's zone, with the zone (CET or CEST)."""
    return f"{dates.format_date(value, style='long')}, {dates.format_time(value)} {dates.zone_label(value)}"


def _date(value: date) -> str:
    """`3/12/2026` (nl-BE, fr-BE), `03/12/2026` (en-BE), `03.12.2026` (de): in tables."""
    return dates.format_date(value)


def render_text(text: str, context: MessageContext) -> str:
    placeholders_in(text)
    rendered = text.format_map(context.values(html=False))
    # A `{payment_details}` left empty (no bank account) leaves no gap of blank lines behind.
    return re.sub(r"\n{3,}", "\n\n", rendered)


def render_html(text: str, context: MessageContext) -> str:
    """The body as HTML: the tenant's text escaped, paragraphs from blank lines, placeholders filled."""
    placeholders_in(text)
    values = context.values(html=True)
    paragraphs = []
    for block in text.strip().split("\n\n"):
        filled = escape(block).format_map(values)  # escape() leaves braces alone
        if block.strip() in ("{invoice_table}", "{payment_details}"):
            if filled:  # an empty payment block (no bank account) leaves no empty paragraph
                paragraphs.append(filled)
        else:
            paragraphs.append("<p>" + filled.replace("\n", "<br>") + "</p>")
    return "\n".join(paragraphs)
