from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from invoices.models import Invoice
from messaging.models import Dispatch
from organizations.api.bases import OrganizationScopedMixin, OrganizationScopedViewSet
from organizations.filters import IdFilter
from reminders.api.serializers import (
    AwaitingDispatchSerializer,
    DispatchListSerializer,
    DispatchSerializer,
    FollowUpPlanSerializer,
    RemindSerializer,
    ReviewIdsSerializer,
    ReviewPostponeSerializer,
    ReviewResultSerializer,
    TaskSerializer,
)
from reminders.manual import reminder_send_now
from reminders.models import FollowUpPlan, Task
from reminders.review import (
    ReviewResult,
    awaiting_approval,
    dispatches_approve,
    dispatches_postpone,
    dispatches_skip,
    review_rows,
)
from reminders.services import plan_write
from reminders.todos import task_set_done


class FollowUpPlanViewSet(OrganizationScopedViewSet):
    """Follow-up plans with their steps. Writing `steps` replaces them (send `id` to keep a step)."""

    model = FollowUpPlan
    serializer_class = FollowUpPlanSerializer
    configure_refusal = _("Only owners and admins can change follow-up plans.")

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("steps")

    def perform_create(self, serializer):
        self.require_configure()
        self._write(serializer, None)

    def perform_update(self, serializer):
        self.require_configure()
        self._write(serializer, serializer.instance)

    def _write(self, serializer, plan):
        data = dict(serializer.validated_data)
        steps = data.pop("steps", None)
        if steps is None:
            steps = [{"id": step.pk} for step in plan.steps.all()] if plan else []
        serializer.instance = plan_write(organization=self.organization, plan=plan, data=data, steps=steps,
                                         actor=self.actor)  # fmt: skip


class DispatchFilter(django_filters.FilterSet):
    invoice = IdFilter(field_name="items__invoice", distinct=True, help_text="Dispatches listing this invoice.")
    customer = IdFilter(field_name="customer_id")

    class Meta:
        model = Dispatch
        fields = ["invoice", "customer", "status", "channel", "manual"]


class DispatchViewSet(
    OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every message and task the follow-up engine decided or a person sent, with the content as sent."""

    model = Dispatch
    filterset_class = DispatchFilter

    def get_serializer_class(self):
        return DispatchListSerializer if self.action == "list" else DispatchSerializer

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("items__invoice", "delivery_attempts")

    @extend_schema(responses=AwaitingDispatchSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], url_path="awaiting-approval")
    def awaiting_approval(self, request):
        """Messages of plans that review before sending, waiting for approval now (postponed ones from their day)."""
        page = self.paginate_queryset(awaiting_approval(organization=self.organization).select_related("organization"))
        return self.get_paginated_response(AwaitingDispatchSerializer(review_rows(list(page)), many=True).data)

    @extend_schema(request=ReviewIdsSerializer, responses=ReviewResultSerializer)
    @action(detail=False, methods=["post"])
    def approve(self, request):
        """Approve messages awaiting approval: they go out once, in the next sending window."""
        ids = self._ids(ReviewIdsSerializer)
        return self._result(dispatches_approve(organization=self.organization, dispatch_ids=ids, actor=self.actor))

    @extend_schema(request=ReviewIdsSerializer, responses=ReviewResultSerializer)
    @action(detail=False, methods=["post"])
    def skip(self, request):
        """Skip messages awaiting approval: not sent; the schedule moves on to the next step."""
        ids = self._ids(ReviewIdsSerializer)
        return self._result(dispatches_skip(organization=self.organization, dispatch_ids=ids, actor=self.actor))

    @extend_schema(request=ReviewPostponeSerializer, responses=ReviewResultSerializer)
    @action(detail=False, methods=["post"])
    def postpone(self, request):
        """Postpone messages awaiting approval: they come back to the list on `until`."""
        serializer = ReviewPostponeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return self._result(
            dispatches_postpone(
                organization=self.organization, dispatch_ids=data["ids"], until=data["until"], actor=self.actor
            )
        )

    def _ids(self, serializer_class) -> list[int]:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["ids"]

    def _result(self, result: ReviewResult) -> Response:
        return Response(ReviewResultSerializer({"done": result.done, "unchanged": result.unchanged}).data)


class TaskFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    assigned_to = IdFilter(field_name="assigned_to_id")

    class Meta:
        model = Task
        fields = ["status", "customer", "assigned_to"]


class TaskViewSet(OrganizationScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                  viewsets.GenericViewSet):  # fmt: skip
    """Actions for people. PATCH `status` to `done` or `todo`."""

    model = Task
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def perform_update(self, serializer):
        done = serializer.validated_data.get("status", serializer.instance.status) == "done"
        serializer.instance = task_set_done(task=serializer.instance, done=done, actor=self.actor)


class InvoiceRemindView(OrganizationScopedMixin, APIView):
    """Send a reminder for this invoice now (and optionally other invoices of the same customer)."""

    model = Invoice

    @extend_schema(request=RemindSerializer, responses={201: DispatchSerializer})
    def post(self, request, pk):
        invoice = self.get_object_or_404(pk)  # first: a foreign id is a 404, whatever the body says
        serializer = RemindSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        invoice_ids = [invoice.pk, *[i for i in data.pop("invoices") if i != invoice.pk]]
        dispatch = reminder_send_now(organization=self.organization, invoice_ids=invoice_ids, actor=self.actor, **data)
        return Response(DispatchSerializer(dispatch).data, status=status.HTTP_201_CREATED)

    def get_object_or_404(self, pk):
        from django.http import Http404

        invoice = self.get_queryset().filter(pk=pk).first()
        if invoice is None:
            raise Http404
        return invoice
