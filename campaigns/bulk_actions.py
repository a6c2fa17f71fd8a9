"""The customer list's bulk action "Invite to sign a mandate": into a new or an open campaign."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignStatus
from campaigns.services import campaign_for_invitations, invitations_create
from customers.bulk import BulkAction, ChunkResult
from customers.models import BulkJob
from mandates.models import MandateProfile


class InviteToSignForm(forms.Form):
    profile = forms.ModelChoiceField(label=_("Mandate profile"), queryset=MandateProfile.objects.none(),
                                     required=False)  # fmt: skip
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False, empty_label=_("A new campaign"),
        help_text=_("Add the customers to an open campaign, or start a new one."),
    )  # fmt: skip
    campaign_name = forms.CharField(label=_("Name of the new campaign"), max_length=150, required=False)
    include_signed = forms.BooleanField(
        label=_("Also invite customers who already signed"), required=False,
        help_text=_("Without this, customers with a signed mandate on this profile are reported and skipped."),
    )  # fmt: skip

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["profile"].queryset = MandateProfile.objects.filter(organization=organization, archived=False)
        self.fields["campaign"].queryset = Campaign.objects.filter(
            organization=organization, status=CampaignStatus.OPEN
        ).select_related("profile")

    def clean(self):
        data = super().clean()
        campaign, profile, name = data.get("campaign"), data.get("profile"), (data.get("campaign_name") or "").strip()
        if campaign is not None:
            if profile is not None and profile.pk != campaign.profile_id:
                self.add_error("profile", _("The campaign “%(name)s” uses the profile “%(profile)s”.")
                               % {"name": campaign.name, "profile": campaign.profile.name})  # fmt: skip
            data["profile"] = campaign.profile
            return data
        if profile is None:
            self.add_error("profile", _("Choose the mandate profile the customers are invited to sign."))
        if not name:
            self.add_error("campaign_name", _("Name the new campaign, or choose an open one."))
        elif Campaign.objects.filter(organization=self.organization, name__iexact=name).exists():
            self.add_error("campaign_name", _("A campaign with this name exists already."))
        data["campaign_name"] = name
        return data

    def cleaned_params(self) -> dict:
        campaign = self.cleaned_data.get("campaign")
        return {"profile": self.cleaned_data["profile"].pk, "campaign": campaign.pk if campaign else None,
                "campaign_name": "" if campaign else self.cleaned_data["campaign_name"],
                "include_signed": bool(self.cleaned_data.get("include_signed"))}  # fmt: skip


def apply_invite_to_sign(*, organization, customer_ids, params, actor) -> ChunkResult:
    campaign = campaign_for_invitations(organization=organization, params=params, actor=actor)
    started = (
        BulkJob.objects.filter(organization=organization, pk=params.get("job_id"))
        .values_list("created_at", flat=True)
        .first()
    )
    result = invitations_create(campaign=campaign, customer_ids=customer_ids, actor=actor, since=started,
                                include_signed=bool(params.get("include_signed")))  # fmt: skip
    return ChunkResult(succeeded=result.invited, problems=result.problems)


def describe_invite_to_sign(params, organization) -> str:
    campaign = Campaign.objects.filter(organization=organization, pk=params.get("campaign")).first()
    name = campaign.name if campaign else params.get("campaign_name", "")
    text = gettext("Invite to sign a mandate, in the campaign “%(name)s”") % {"name": name}
    if params.get("include_signed"):
        text += " · " + gettext("including customers who already signed")
    return text


INVITE_TO_SIGN = BulkAction(
    name="invite_to_sign", label=_("Invite to sign a mandate"), form_class=InviteToSignForm,
    apply=apply_invite_to_sign, describe=describe_invite_to_sign,
)  # fmt: skip
