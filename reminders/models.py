"""Follow-up (dunning) plans.

This first cut is the plan itself, so customers can be assigned and filtered by plan; steps, message
templates, the outbox and the scheduler arrive with the follow-up issue.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import Organization


class FollowUpPlan(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="follow_up_plans")
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(
        _("default plan"), default=False, help_text=_("Applies to customers without a plan of their own.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="follow_up_plan_name_per_organization"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="one_default_follow_up_plan"
            ),
        ]

    def __str__(self) -> str:
        return self.name
