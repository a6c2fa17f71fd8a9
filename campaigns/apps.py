from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns.bulk_actions import INVITE_TO_SIGN
        from campaigns.messages import INVITATION_HANDLER, REMINDER_HANDLER
        from campaigns.models import Campaign
        from customers.bulk import register_bulk_action
        from messaging.kinds import register_kind
        from organizations.activity import ActivityText, count, register_activity_labels, register_activity_values, text

        register_activity_values({"campaign": (_("Campaign"), text), "invitations": (_("Invitations"), count)})

        register_bulk_action(INVITE_TO_SIGN)
        register_kind(INVITATION_HANDLER)
        register_kind(REMINDER_HANDLER)
        register_activity_labels({
            "campaign.created": ActivityText(_("Campaign “%(name)s” created"), _("Campaign created")),
            "campaign.renamed": ActivityText(_("Campaign renamed"), model=Campaign),
            "campaign.closed": _("Campaign closed"),
            "campaign.reminded": ActivityText(
                _("Unsigned invitations reminded (%(invitations)s)"), _("Unsigned invitations reminded")
            ),
            "mandate_invitation.sent": _("Invitation to sign sent"),
            "mandate_invitation.failed": _("Invitation to sign failed"),
            "mandate_invitation.skipped": _("Invitation to sign skipped"),
            "mandate_reminder.sent": _("Reminder to sign sent"),
            "mandate_reminder.failed": _("Reminder to sign failed"),
            "mandate_reminder.skipped": _("Reminder to sign skipped"),
            "invitation.created": ActivityText(
                _("Added to the mandate campaign “%(campaign)s”"), _("Added to a mandate campaign")
            ),
        })  # fmt: skip
