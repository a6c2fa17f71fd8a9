from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from collect.api.bases import OrganizationScopedSerializer
from organizations.api.fields import IdField, IdRelatedField
from organizations.models import Membership
from organizations.selectors import members_list
from reminders.models import (
    DeliveryAttempt,
    Dispatch,
    DispatchInvoice,
    FollowUpPlan,
    FollowUpStep,
    Task,
    TemplatePurpose,
)


class MemberField(IdRelatedField):
    """A membership that reaches the request's organization; any other id is unknown."""

    def get_queryset(self):
        organization = self.context.get("organization")
        return members_list(organization=organization) if organization else Membership.objects.none()


class FollowUpStepSerializer(serializers.ModelSerializer):
    id = IdField(required=False)
    assignee = MemberField(
        required=False, allow_null=True,
        help_text="Membership id of the member who gets this step's tasks; null: the customer's account manager.",
    )  # fmt: skip

    class Meta:
        model = FollowUpStep
        fields = ["id", "position", "name", "offset_days", "channel", "purpose", "min_open_amount", "attach_pdfs",
                  "cc_account_manager", "bcc_sender", "assignee"]  # fmt: skip
        read_only_fields = ["position"]

    def validate(self, attrs):
        # In a PATCH a step may leave fields out; the plan checks the step with its stored values filled in.
        if self.root.partial:
            return attrs
        return check_step_purpose(attrs)


def check_step_purpose(step: dict) -> dict:
    if step.get("channel", "email") == "email" and not step.get("purpose"):
        raise serializers.ValidationError({"purpose": _("Choose the message this e-mail step sends.")})
    return step


class FollowUpPlanSerializer(OrganizationScopedSerializer):
    steps = FollowUpStepSerializer(many=True)

    class Meta:
        model = FollowUpPlan
        fields = ["id", "name", "grouping", "is_default", "fallback_channel", "steps", "created_at"]
        read_only_fields = ["created_at"]

    def validate_name(self, value: str) -> str:
        clash = FollowUpPlan.objects.filter(organization=self.context["organization"], name=value.strip())
        if clash.exclude(pk=getattr(self.instance, "pk", None)).exists():
            raise serializers.ValidationError(_("Another plan already has this name."))
        return value.strip()

    def validate_steps(self, steps):
        if self.partial:
            self._check_complete(steps)
        offsets = [step["offset_days"] for step in steps]
        if len(offsets) != len(set(offsets)):
            raise serializers.ValidationError(_("Two steps cannot fall on the same day."))
        return steps

    def _check_complete(self, steps: list[dict]) -> None:
        """`steps` replaces the plan's steps even in a PATCH: a new step needs every required field; a kept step
        (its id) is checked with its stored values for what it leaves out. Errors name the missing fields."""
        stored = {step.pk: step for step in self.instance.steps.all()} if self.instance else {}
        required = [name for name, field in FollowUpStepSerializer().fields.items() if field.required]
        errors: dict[int, dict] = {}
        for index, step in enumerate(steps):
            existing = stored.get(step.get("id"))
            if existing is not None:
                for name in ("name", "offset_days", "channel", "purpose"):
                    step.setdefault(name, getattr(existing, name))
            missing = [name for name in required if name not in step]
            if missing:
                errors[index] = {name: [_("This field is required.")] for name in missing}
                continue
            try:
                check_step_purpose(step)
            except serializers.ValidationError as error:
                errors[index] = error.detail
        if errors:
            raise serializers.ValidationError(errors)


class DispatchInvoiceSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = DispatchInvoice
        fields = ["invoice", "number", "open_amount"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "outcome", "detail", "started_at", "finished_at"]


class DispatchListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dispatch
        fields = ["id", "customer", "invoice", "step", "manual", "channel", "status", "reason", "subject",
                  "scheduled_for", "sent_at", "created_at"]  # fmt: skip


class DispatchSerializer(DispatchListSerializer):
    invoices = DispatchInvoiceSerializer(source="items", many=True, read_only=True)
    attempts = DeliveryAttemptSerializer(source="delivery_attempts", many=True, read_only=True)

    class Meta(DispatchListSerializer.Meta):
        fields = [*DispatchListSerializer.Meta.fields, "from_email", "reply_to", "recipients", "cc", "bcc",
                  "text_body", "html_body", "attachments", "provider_message_id", "fell_back_to", "invoices",
                  "attempts"]  # fmt: skip


class TaskSerializer(OrganizationScopedSerializer):
    class Meta:
        model = Task
        fields = ["id", "title", "customer", "invoice", "dispatch", "assigned_to", "status", "due_on", "created_at",
                  "done_at"]  # fmt: skip
        read_only_fields = [
            "title",
            "customer",
            "invoice",
            "dispatch",
            "assigned_to",
            "due_on",
            "created_at",
            "done_at",
        ]


class RemindSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=TemplatePurpose.choices, default=TemplatePurpose.REMINDER_1)
    subject = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    invoices = serializers.ListField(
        child=IdField(), required=False, default=list,
        help_text="More invoices of the same customer to list in the same message.",
    )  # fmt: skip
