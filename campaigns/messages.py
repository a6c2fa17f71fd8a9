"""Mandate invitations and their reminders: the outbox handlers (re-check, render, book) for both kinds.

Queued by campaigns/services.py through messaging.kinds.queue_messages; registered in CampaignsConfig.ready and
delivered exactly once by messaging/delivery.py. At send time a message is skipped when the mandate no longer
waits for a signature, the campaign was closed or the signing link expired.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import CampaignStatus, Invitation
from mandates.links import signing_url
from mandates.models import Mandate, MandateState
from mandates.states import AWAITING_SIGNATURE
from messaging.delivery import message_context
from messaging.kinds import KindHandler, Rendered, subject_record
from messaging.models import Dispatch, TemplatePurpose
from messaging.templating import render_html, render_text
from messaging.texts import text_for

MANDATE_INVITATION = "mandate_invitation"
MANDATE_REMINDER = "mandate_reminder"
PURPOSES = {
    MANDATE_INVITATION: TemplatePurpose.MANDATE_INVITATION,
    MANDATE_REMINDER: TemplatePurpose.MANDATE_REMINDER,
}


def _invitation(dispatch: Dispatch) -> Invitation | None:
    return (
        Invitation.objects.select_related("campaign")
        .filter(organization_id=dispatch.organization_id, mandate_id=dispatch.subject_id)
        .first()
    )


def skip_reason(dispatch: Dispatch) -> str:
    mandate = mandate_of(dispatch)
    if mandate is None:
        return _("The mandate no longer exists.")
    mandate.refresh_from_db(fields=["state", "link_expires_at"])
    if mandate.state not in AWAITING_SIGNATURE:
        return _("The mandate is no longer waiting for a signature (%(state)s).") % {
            "state": MandateState(mandate.state).label.lower()}  # fmt: skip
    invitation = _invitation(dispatch)
    if invitation is not None and invitation.campaign.status == CampaignStatus.CLOSED:
        return _("The campaign “%(name)s” was closed.") % {"name": invitation.campaign.name}
    if mandate.link_expires_at and mandate.link_expires_at <= timezone.now():
        return _("The signing link has expired.")
    return ""


def render(dispatch: Dispatch, now: datetime) -> Rendered:
    organization, mandate = dispatch.organization, mandate_of(dispatch)
    text = text_for(organization=organization, purpose=PURPOSES[dispatch.kind], language=mandate.language)
    context = message_context(dispatch, [], now)
    context.language = mandate.language
    context.signing_link = signing_url(mandate)
    context.creditor_name = mandate.profile.creditor_name or organization.name
    return Rendered(
        subject=render_text(text.subject, context),
        text_body=render_text(text.body, context),
        html_body=render_html(text.body, context),
    )


def on_sent(dispatch: Dispatch, now: datetime) -> None:
    Invitation.objects.filter(organization_id=dispatch.organization_id, mandate_id=dispatch.subject_id).update(
        last_action_at=now, problem=""
    )


def on_failed(dispatch: Dispatch, reason: str) -> None:
    Invitation.objects.filter(organization_id=dispatch.organization_id, mandate_id=dispatch.subject_id).update(
        problem=reason[:300]
    )


def invitation_email_bounced(*, dispatch: Dispatch, at: datetime) -> None:
    """The provider reported a hard bounce, a rejection or a complaint for an invitation or reminder e-mail."""
    if dispatch.kind not in PURPOSES or dispatch.subject_id is None:
        return
    Invitation.objects.filter(organization_id=dispatch.organization_id, mandate_id=dispatch.subject_id,
                              email_bounced_at__isnull=True).update(email_bounced_at=at)  # fmt: skip


def mandate_of(dispatch: Dispatch) -> Mandate | None:
    return subject_record(dispatch, Mandate)


def _mandate(dispatch: Dispatch):
    return mandate_of(dispatch) or dispatch.customer


def on_bounced(dispatch: Dispatch, at: datetime) -> None:
    invitation_email_bounced(dispatch=dispatch, at=at)


INVITATION_HANDLER = KindHandler(
    kind=MANDATE_INVITATION, label=gettext_lazy("Mandate invitation"), skip_reason=skip_reason,
    render=render, on_sent=on_sent, on_failed=on_failed, on_bounced=on_bounced, subject_of=_mandate,
    tags=("mandate-invitation",),
)  # fmt: skip
REMINDER_HANDLER = KindHandler(
    kind=MANDATE_REMINDER, label=gettext_lazy("Mandate invitation reminder"), skip_reason=skip_reason,
    render=render, on_sent=on_sent, on_failed=on_failed, on_bounced=on_bounced, subject_of=_mandate,
    tags=("mandate-reminder",),
)  # fmt: skip
