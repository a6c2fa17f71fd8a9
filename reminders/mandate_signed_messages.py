"""The signed copy of a mandate, e-mailed to the debtor with the PDF (kind `mandate_signed`).

Queued by mandates.services.mandate_sign through collect.outbox; delivered exactly once by
reminders.delivery, which calls the handler below to re-check and render at send time.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from mandates.models import MandateDocument, MandateState
from messaging.delivery import message_context
from messaging.kinds import KindHandler, Rendered
from messaging.models import Dispatch, DispatchKind, TemplatePurpose
from messaging.templating import render_html, render_text
from messaging.texts import text_for

STILL_SIGNED = (MandateState.SIGNED, MandateState.SUSPENDED)


def skip_reason(dispatch: Dispatch) -> str:
    mandate = dispatch.mandate
    if mandate is None or mandate.state not in STILL_SIGNED:
        return _("The mandate is no longer signed.")
    if not MandateDocument.objects.filter(mandate=mandate).exists():
        return _("The signed mandate has no PDF.")
    return ""


def render(dispatch: Dispatch, now: datetime) -> Rendered:
    mandate, organization = dispatch.mandate, dispatch.organization
    # In the language the debtor signed in, like the attached PDF (not necessarily the customer's language).
    language = mandate.document_language
    text = text_for(organization=organization, purpose=TemplatePurpose.MANDATE_SIGNED, language=language)
    context = message_context(dispatch, [], now)
    context.language = language
    context.signed_at = mandate.signed_at
    document = MandateDocument.objects.get(mandate=mandate)
    return Rendered(
        subject=render_text(text.subject, context),
        text_body=render_text(text.body, context),
        html_body=render_html(text.body, context),
        attachments=[(f"mandate-{mandate.reference}.pdf", bytes(document.pdf), "application/pdf")],
    )


HANDLER = KindHandler(
    kind=DispatchKind.MANDATE_SIGNED, label=DispatchKind.MANDATE_SIGNED.label, skip_reason=skip_reason, render=render,
    subject_of=lambda dispatch: dispatch.mandate, tags=("mandate-signed",),
)  # fmt: skip
