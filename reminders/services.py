"""Writes for follow-up plans and settings. Schedules are recomputed in the background after a change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from organizations.models import Organization
from organizations.services import Actor, log_action
from reminders.calendar import MONDAY_TO_FRIDAY
from reminders.models import FollowUpPlan, FollowUpSettings, FollowUpStep


def _reschedule_later(organization: Organization) -> None:
    from reminders.tasks import reschedule_organization_task

    transaction.on_commit(lambda: reschedule_organization_task.delay(organization.pk))


def _log_plan_saved(organization: Organization, plan: FollowUpPlan, steps: list, actor: Actor) -> None:
    summary = [f"{step.offset_days:+d} {step.get_channel_display()}" for step in steps]
    log_action(organization=organization, subject=plan, code="follow_up.plan_saved", actor=actor,
               data={"name": plan.name, "steps": summary})  # fmt: skip


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
def settings_save(*, follow_up: FollowUpSettings, data: dict, actor: Actor) -> FollowUpSettings:
    """Change an organization's follow-up settings; `data`: the new value of each field (as the form or the API
    read them). The changes are logged and the organization's schedules follow."""
    before = {name: _shown(follow_up, name) for name in data}
    for name, value in data.items():
        setattr(follow_up, name, value)
    follow_up.save()
    changed = {name: [str(before[name]), str(value)] for name, value in data.items() if before[name] != value}
    if changed:
        organization = follow_up.organization
        log_action(organization=organization, subject=organization, code="follow_up.settings_changed", actor=actor,
                   data={"changes": changed})  # fmt: skip
        _reschedule_later(organization)
    return follow_up


def _shown(follow_up: FollowUpSettings, name: str):
    """A setting as people see it: no sending days stored means Monday to Friday."""
    value = getattr(follow_up, name)
    return sorted(MONDAY_TO_FRIDAY) if name == "weekdays" and not value else value


@transaction.atomic
def plan_write(*, organization: Organization, plan: FollowUpPlan | None, data: dict, steps: list[dict], actor: Actor):
    """Create or update a plan from plain data (the page's forms or the API); `steps` replaces the plan's steps
    (matched by id)."""
    plan = plan or FollowUpPlan(organization=organization)
    for name, value in data.items():
        setattr(plan, name, value)
    if plan.is_default:
        FollowUpPlan.objects.filter(organization=organization, is_default=True).exclude(pk=plan.pk).update(
            is_default=False
        )
    plan.save()
    keep = {step["id"] for step in steps if step.get("id")}
    try:
        FollowUpStep.objects.filter(plan=plan).exclude(pk__in=keep).delete()
    except ProtectedError as error:
        raise ValidationError(
            {"steps": _("A step that already sent messages cannot be removed; change it instead.")}
        ) from error
    for index, values in enumerate(steps, start=1000):
        values = dict(values)
        step_id = values.pop("id", None)
        step = FollowUpStep.objects.filter(plan=plan, pk=step_id).first() if step_id else None
        step = step or FollowUpStep(plan=plan, organization=organization, position=index)
        for name, value in values.items():
            setattr(step, name, value)
        if step.pk is None:
            step.position = index
        step.save()
    kept = _renumber(plan)
    _log_plan_saved(organization, plan, kept, actor)
    _reschedule_later(organization)
    return plan
