"""Writes for follow-up plans and settings. Schedules are recomputed in the background after a change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from organizations.models import Organization
from organizations.services import Actor, log_action
from reminders.models import FollowUpPlan, FollowUpSettings, FollowUpStep


def _reschedule_later(organization: Organization) -> None:
    from reminders.tasks import reschedule_organization_task

    transaction.on_commit(lambda: reschedule_organization_task.delay(organization.pk))


def plan_save(*, organization: Organization, plan_form, step_formset, actor: Actor) -> FollowUpPlan:
    """Save a plan and its steps from the page's forms (the same rules as the API: see plan_write)."""
    from reminders.forms import StepForm

    data = {name: plan_form.cleaned_data[name] for name in plan_form.Meta.fields}
    steps = [
        {"id": form.instance.pk, **{name: form.cleaned_data[name] for name in StepForm.Meta.fields}}
        for form in step_formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("name")
    ]
    plan = plan_form.instance if plan_form.instance.pk else None
    return plan_write(organization=organization, plan=plan, data=data, steps=steps, actor=actor)


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
def settings_save(*, form, actor: Actor) -> FollowUpSettings:
    changed = {name: [str(form.initial.get(name)), str(form.cleaned_data[name])] for name in form.changed_data}
    follow_up = form.save()
    if changed:
        organization = follow_up.organization
        log_action(organization=organization, subject=organization, code="follow_up.settings_changed", actor=actor,
                   data={"changes": changed})  # fmt: skip
        _reschedule_later(follow_up.organization)
    return follow_up


@transaction.atomic
def plan_write(*, organization: Organization, plan: FollowUpPlan | None, data: dict, steps: list[dict], actor: Actor):
    """Create or update a plan from API data; `steps` replaces the plan's steps (matched by id)."""
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
