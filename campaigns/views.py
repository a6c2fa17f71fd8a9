"""Campaign pages: the list with progress, a campaign's funnel and customers, remind the unsigned, close."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import Campaign, CampaignStatus
from campaigns.selectors import (
    STAGE_LABELS,
    campaign_funnel,
    campaigns_with_progress,
    invitations_for_campaign,
    last_action,
    signing_link,
    unsigned_invitations,
)
from campaigns.services import CampaignError, campaign_close, campaign_remind
from organizations.parsing import parse_ids
from organizations.views_base import OrganizationView

PAGE_SIZE = 50
WAITING_STAGES = ("invited", "bounced", "opened", "started")  # the link still works: show it to copy


class CampaignListView(OrganizationView):
    model = Campaign

    def get(self, request, organization_slug):
        campaigns = list(campaigns_with_progress(organization=self.organization))
        for campaign in campaigns:
            campaign.percent_signed = round(100 * campaign.signed / campaign.invited) if campaign.invited else 0
        return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns, "nav": "campaigns"})


class CampaignDetailView(OrganizationView):
    model = Campaign

    def get(self, request, organization_slug, pk):
        campaign = self.get_object()
        stage = request.GET.get("stage", "")
        funnel = campaign_funnel(campaign=campaign)
        paginator = Paginator(invitations_for_campaign(campaign=campaign, stage=stage), PAGE_SIZE)
        if stage not in STAGE_LABELS:
            paginator.count = funnel.invited  # the funnel counted them already (no second pass over the campaign)
        page = paginator.get_page(request.GET.get("page"))
        for invitation in page.object_list:
            invitation.last_label, invitation.last_at = last_action(invitation)
            invitation.stage_label = STAGE_LABELS.get(invitation.stage, invitation.stage)
            waiting = invitation.stage in WAITING_STAGES
            invitation.link = signing_link(invitation.mandate) if waiting else ""
        context = {
            "campaign": campaign, "funnel": funnel, "page_obj": page,
            "invitations": page.object_list, "stage": stage, "stages": list(STAGE_LABELS.items()),
            "is_open": campaign.status == CampaignStatus.OPEN, "nav": "campaigns",
        }  # fmt: skip
        return render(request, "campaigns/campaign_detail.html", context)


class CampaignRemindView(OrganizationView):
    """Step 1 (POST without `confirm`) says how many will be reminded; step 2 queues the reminders."""

    model = Campaign

    def post(self, request, organization_slug, pk):
        campaign = self.get_object()
        select_all = request.POST.get("select_all") == "1"
        ids = None if select_all else parse_ids(request.POST.getlist("ids"))
        if ids is not None and not ids:
            messages.error(request, _("Select at least one customer, or choose to remind everyone who has not signed."))
            return redirect("campaigns:detail", organization_slug=organization_slug, pk=campaign.pk)
        if "confirm" not in request.POST:
            candidates = unsigned_invitations(campaign=campaign)
            count = (candidates if ids is None else candidates.filter(pk__in=ids)).count()
            context = {"campaign": campaign, "count": count, "ids": ids or [], "select_all": select_all,
                       "nav": "campaigns"}  # fmt: skip
            return render(request, "campaigns/campaign_remind.html", context)
        try:
            queued = campaign_remind(campaign=campaign, invitation_ids=ids, actor=request.user)
        except CampaignError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, ngettext("%(count)d reminder queued.", "%(count)d reminders queued.", queued)
                             % {"count": queued})  # fmt: skip
        return redirect("campaigns:detail", organization_slug=organization_slug, pk=campaign.pk)


class CampaignCloseView(OrganizationView):
    model = Campaign

    def get(self, request, organization_slug, pk):
        campaign = self.get_object()
        return render(request, "campaigns/campaign_close.html", {"campaign": campaign, "nav": "campaigns"})

    def post(self, request, organization_slug, pk):
        campaign = campaign_close(campaign=self.get_object(), actor=request.user)
        messages.success(request, _("The campaign “%(name)s” is closed.") % {"name": campaign.name})
        return redirect("campaigns:detail", organization_slug=organization_slug, pk=campaign.pk)
