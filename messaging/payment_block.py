"""`{payment_details}` in messages: amount due, IBAN, BIC, payment reference and the EPC QR code per transfer.

One block per currency there is a bank account for; a message for several invoices lists one transfer per
invoice with its own reference (and QR code, up to MAX_QR_CODES), so every payment still finds its invoice.
In e-mails the QR codes are inline images (`cid:`, attached by messaging.transports); in browser previews they
are data: URIs.
"""

from __future__ import annotations

import base64
from html import escape

from django.utils.translation import gettext

from invoices.payment_details import QR_SCALE, InvoiceToPay, PaymentDetails, qr_code, qr_png

MAX_QR_CODES = 5  # per message: beyond that, the references listed are enough
_CELL = 'style="padding:2px 12px 2px 0;text-align:left;vertical-align:top"'


def payable(payments: list[PaymentDetails]) -> list[PaymentDetails]:
    """The currencies there is a bank account for: the only ones a message can say how to pay."""
    return [details for details in payments if details.account is not None]


def qr_images(payments: list[PaymentDetails]) -> list[tuple[str, str, str]]:
    """(content id, file name, EPC payload) of the QR codes `as_html` shows, in order."""
    found = [
        (line.content_id, f"payment-qr-{line.invoice_id}.png", line.epc_payload)
        for details in payable(payments)
        for line in details.invoices
        if line.epc_payload
    ]
    return found[:MAX_QR_CODES]


def _rows(details: PaymentDetails) -> list[tuple[str, str]]:
    rows = [(gettext("Amount due"), details.total_text), ("IBAN", details.iban_display)]
    rows += [("BIC", details.bic)] if details.bic else []
    rows.append((gettext("Beneficiary"), details.beneficiary))
    if len(details.invoices) == 1 and details.invoices[0].reference:
        rows.append((gettext("Payment reference"), details.invoices[0].reference_display))
    return rows


def as_text(payments: list[PaymentDetails]) -> str:
    blocks = []
    for details in payable(payments):
        lines = [f"{label}: {value}" for label, value in _rows(details)]
        if len(details.invoices) > 1:
            lines.append(gettext("One transfer per invoice, each with its payment reference:"))
            for line in details.invoices:
                reference = f", {line.reference_display}" if line.reference else ""
                lines.append(f"- {line.number}: {line.amount_text}{reference}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def as_html(payments: list[PaymentDetails], *, inline_images: bool) -> str:
    shown = {content_id for content_id, _name, _payload in qr_images(payments)}
    blocks = []
    for details in payable(payments):
        table = "".join(
            f"<tr><th {_CELL}>{escape(label)}</th><td {_CELL}><strong>{escape(value)}</strong></td></tr>"
            for label, value in _rows(details)
        )
        parts = [f'<table style="border-collapse:collapse" data-payment-details>{table}</table>']
        several = len(details.invoices) > 1
        if several:
            parts.append(f"<p>{escape(gettext('One transfer per invoice, each with its payment reference:'))}</p>")
        for line in details.invoices:
            parts.append(_invoice_html(line, several, line.content_id in shown, inline_images))
        blocks.append("".join(parts))
    return '<div style="margin:12px 0">' + "".join(blocks) + "</div>" if blocks else ""


def _invoice_html(line: InvoiceToPay, with_heading: bool, with_qr: bool, inline_images: bool) -> str:
    heading = ""
    if with_heading:
        reference = f" · {escape(line.reference_display)}" if line.reference else ""
        heading = f"<p><strong>{escape(line.number)}</strong>: {escape(line.amount_text)}{reference}</p>"
    if not with_qr:
        return heading
    source = f"cid:{line.content_id}" if inline_images else png_data_uri(line.qr_png)
    label = escape(gettext("Scan with your banking app to pay %(number)s") % {"number": line.number})
    width, height = qr_code(line.epc_payload).symbol_size(scale=QR_SCALE, border=4)
    image = f'<img src="{source}" width="{width}" height="{height}" alt="{label}" style="display:block">'
    return f'{heading}<p style="font-size:12px;color:#555555">{label}</p>{image}'


def html_for_display(html: str, attachments: list[dict]) -> str:
    """A stored message's HTML for the browser: its inline QR codes (`cid:`) drawn again as data: URIs."""
    for attachment in attachments:
        if attachment.get("epc") and attachment.get("inline"):
            html = html.replace(f"cid:{attachment['inline']}", png_data_uri(qr_png(attachment["epc"])))
    return html


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
