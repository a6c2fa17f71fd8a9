from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns.bulk_actions import INVITE_TO_SIGN
        from campaigns.models import Campaign
        from customers.bulk import register_bulk_action
        from organizations.activity import ActivityText, count, register_activity_labels, register_activity_values, text

        register_activity_values({"campaign": (_("Campaign"), text), "invitations": (_("Invitations"), count)})

        register_bulk_action(INVITE_TO_SIGN)
        register_activity_labels({
            "campaign.created": ActivityText(_("Campaign “%(name)s” created"), _("Campaign created")),
            "campaign.renamed": ActivityText(_("Campaign renamed"), model=Campaign),
            "campaign.closed": _("Campaign closed"),
            "campaign.reminded": ActivityText(
                _("Unsigned invitations reminded (%(invitations)s)"), _("Unsigned invitations reminded")
            ),
            "invitation.created": ActivityText(
                _("Added to the mandate campaign “%(campaign)s”"), _("Added to a mandate campaign")
            ),
        })  # fmt: skip
