"""Writes for follow-up plans and settings. Schedules are recomputed in the background after a change."""

from __future__ import annotations

from django.db import transaction

from organizations.models import Organization
from organizations.services import Actor, log_action
from reminders.models import FollowUpPlan, FollowUpSettings


def _reschedule_later(organization: Organization) -> None:
    from reminders.tasks import reschedule_organization_task

    transaction.on_commit(lambda: reschedule_organization_task.delay(organization.pk))


@transaction.atomic
def plan_save(*, organization: Organization, plan_form, step_formset, actor: Actor) -> FollowUpPlan:
    """Save a plan and its steps (numbered in day order); the default flag moves from any other plan."""
    plan = plan_form.save(commit=False)
    plan.organization = organization
    if plan.is_default:
        FollowUpPlan.objects.filter(organization=organization, is_default=True).exclude(pk=plan.pk).update(
            is_default=False
        )
    plan.save()
    changed_steps = step_formset.save(commit=False)  # also fills deleted_objects
    for step in step_formset.deleted_objects:
        step.delete()
    for offset, step in enumerate(changed_steps, start=1000):
        step.plan, step.organization = plan, organization
        step.position = step.position or offset
        if step.pk is None:
            step.position = offset
        step.save()
    kept = _renumber(plan)
    log_action(
        organization=organization,
        subject=plan,
        code="follow_up.plan_saved",
        actor=actor,
        data={"name": plan.name, "steps": [f"{step.offset_days:+d} {step.get_channel_display()}" for step in kept]},
    )
    _reschedule_later(organization)
    return plan


def _renumber(plan: FollowUpPlan) -> list:
    """Levels follow the days: 1 is the earliest step. Two passes keep (plan, position) unique."""
    steps = list(plan.steps.order_by("offset_days", "id"))
    for index, step in enumerate(steps, start=1):
        type(step).objects.filter(pk=step.pk).update(position=2000 + index)
    for index, step in enumerate(steps, start=1):
        type(step).objects.filter(pk=step.pk).update(position=index)
        step.position = index
    return steps


@transaction.atomic
def settings_save(*, form, actor: Actor) -> FollowUpSettings:
    changed = {name: [str(form.initial.get(name)), str(form.cleaned_data[name])] for name in form.changed_data}
    follow_up = form.save()
    if changed:
        organization = follow_up.organization
        log_action(organization=organization, subject=organization, code="follow_up.settings_changed", actor=actor,
                   data={"changes": changed})  # fmt: skip
        _reschedule_later(follow_up.organization)
    return follow_up
