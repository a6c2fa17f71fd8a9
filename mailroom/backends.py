"""An e-mail backend that stores every message in the database instead of sending it."""

from __future__ import annotations

import base64
import uuid

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives

INLINE_IMAGE_MAX_BYTES = 64 * 1024


def html_with_inline_images(html: str, attachments: list[dict]) -> str:
    """The stored HTML with its `cid:` images as data: URIs, for showing it in the browser."""
    for attachment in attachments:
        if attachment.get("content_id") and attachment.get("data"):
            uri = f"data:{attachment['mimetype']};base64,{attachment['data']}"
            html = html.replace(f"cid:{attachment['content_id']}", uri)
    return html


def _html_body(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    return message.body if message.content_subtype == "html" else ""


def _attachments(message: EmailMessage) -> list[dict]:
    described = []
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            filename, content, mimetype = attachment
            size = len(content) if content is not None else 0
        else:
            filename, mimetype = attachment.get_filename(), attachment.get_content_type()
            payload = attachment.get_payload(decode=True) or b""
            size = len(payload)
            content_id = (attachment.get("Content-ID") or "").strip("<>")
            if content_id and mimetype.startswith("image/") and size <= INLINE_IMAGE_MAX_BYTES:
                # An inline image (the payment QR code): kept, so the stored HTML can show it.
                data = base64.b64encode(payload).decode("ascii")
                described.append(
                    {"filename": filename, "mimetype": mimetype, "size": size, "content_id": content_id, "data": data}
                )
                continue
        described.append({"filename": filename, "mimetype": mimetype, "size": size})
    return described


class DatabaseEmailBackend(BaseEmailBackend):
    """Keeps mail in `StoredEmail`.

    Anymail-style `metadata["organization_id"]` files a message under its organization.
    """

    def send_messages(self, email_messages) -> int:
        """One INSERT for all the messages; a Message-ID already stored is skipped (the store keeps one copy)."""
        from mailroom.models import StoredEmail

        rows = []
        for message in email_messages:
            metadata = dict(getattr(message, "metadata", None) or {})
            # A sender-chosen Message-ID makes a repeat recognisable: the unique id keeps one copy.
            message_id = message.extra_headers.get("Message-ID") or f"<{uuid.uuid4()}@collect.localhost>"
            rows.append(
                StoredEmail(
                    organization_id=metadata.get("organization_id"),
                    from_email=message.from_email,
                    to=list(message.to),
                    cc=list(message.cc),
                    bcc=list(message.bcc),
                    reply_to=list(message.reply_to),
                    subject=message.subject,
                    text_body=message.body if message.content_subtype != "html" else "",
                    html_body=_html_body(message),
                    attachments=_attachments(message),
                    metadata=metadata,
                    message_id=message_id,
                )
            )
            message.extra_headers = {**message.extra_headers, "Message-ID": message_id}
        StoredEmail.objects.bulk_create(rows, ignore_conflicts=True)
        return len(rows)
