from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns.bulk_actions import INVITE_TO_SIGN
        from customers.bulk import register_bulk_action
        from organizations.activity import register_activity_labels

        register_bulk_action(INVITE_TO_SIGN)
        register_activity_labels({
            "campaign.created": _("Campaign created"),
            "campaign.renamed": _("Campaign renamed"),
            "campaign.closed": _("Campaign closed"),
            "campaign.reminded": _("Unsigned invitations reminded"),
            "invitation.created": _("Added to a mandate campaign"),
            "mandate.invited": _("Invited to sign the mandate"),
        })  # fmt: skip
