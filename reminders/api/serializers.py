from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from messaging.models import DeliveryAttempt, Dispatch, DispatchInvoice, TemplatePurpose
from organizations.api.bases import OrganizationScopedSerializer
from organizations.api.fields import IdField, IdRelatedField
from organizations.models import Membership
from organizations.selectors import members_list
from reminders.models import FollowUpPlan, FollowUpStep, Task


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


class PlanStepField(serializers.PrimaryKeyRelatedField):
    """A step of the organization's plans (which plan is checked in `validate`); any other id is unknown."""

    def get_queryset(self):
        organization = self.context.get("organization")
        return FollowUpStep.objects.filter(organization=organization) if organization else FollowUpStep.objects.none()


class FollowUpPlanSerializer(OrganizationScopedSerializer):
    steps = FollowUpStepSerializer(many=True)
    late_entry_step = PlanStepField(
        required=False,
        allow_null=True,
        help_text="Id of one of this plan's steps after the due date (offset_days > 0) where an invoice entering "
        "follow-up late (past several steps) starts; null: the first step after the due date. "
        "Set it once the plan's steps exist.",
    )

    class Meta:
        model = FollowUpPlan
        fields = [
            "id",
            "name",
            "grouping",
            "is_default",
            "fallback_channel",
            "late_entry_step",
            "review_before_sending",
            "steps",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate_late_entry_step(self, step):
        if step is not None and (self.instance is None or step.plan_id != self.instance.pk):
            raise serializers.ValidationError(_("Choose one of this plan's own steps."))
        if step is not None and step.offset_days <= 0:  # a late arrival is overdue: never the "due soon" text
            raise serializers.ValidationError(_("Choose a step after the due date: a late arrival is overdue already."))
        return step

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
    title = serializers.CharField(
        source="display_title", read_only=True, help_text="What to do, in the request's language (Accept-Language)."
    )

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


class ReviewIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=IdField(),
        allow_empty=False,
        max_length=1000,
        help_text="Ids of dispatches awaiting approval; ids of other organizations or other states change nothing.",
    )


class ReviewPostponeSerializer(ReviewIdsSerializer):
    until = serializers.DateField(help_text="The day the messages come back for review (organization's time zone).")


class ReviewResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField(), help_text="Dispatches this call moved.")
    unchanged = serializers.ListField(
        child=serializers.IntegerField(), help_text="Asked ids that were not awaiting approval (already decided)."
    )


class AwaitingDispatchSerializer(serializers.Serializer):
    """A message awaiting approval, with the preview of what would go out."""

    id = serializers.IntegerField(source="dispatch.pk")
    customer = serializers.IntegerField(source="dispatch.customer_id")
    customer_name = serializers.CharField(source="dispatch.customer.name")
    step = serializers.IntegerField(source="dispatch.step_id", allow_null=True)
    step_name = serializers.CharField(source="dispatch.step.name", default="")
    level = serializers.IntegerField(source="dispatch.step.position", default=None, allow_null=True)
    channel = serializers.CharField(source="dispatch.channel")
    invoices = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    recipients = serializers.ListField(child=serializers.CharField(), source="contacts")
    subject = serializers.CharField()
    text_body = serializers.CharField(source="text")
    nothing_owed = serializers.BooleanField(help_text="Paid or no longer followed up since: approving sends nothing.")
    scheduled_for = serializers.DateTimeField(source="dispatch.scheduled_for")
    created_at = serializers.DateTimeField(source="dispatch.created_at")

    def get_invoices(self, row) -> list[str]:
        return [invoice.number for invoice in row.invoices]
