"""Follow-up pages: overview, plans and their steps, settings, upcoming, messages as sent, and Actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, ProtectedError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer
from customers.services import customer_pause_follow_up
from invoices.models import Invoice
from messaging.models import Dispatch, DispatchStatus, StepChannel, TemplatePurpose
from messaging.payment_block import html_for_display
from messaging.texts import text_for
from organizations.parsing import parse_ids
from organizations.views_base import OrganizationView
from reminders.engine import PlanBook, explain_many, settings_for, upcoming
from reminders.forms import (
    CustomerPauseForm,
    PlanForm,
    RemindForm,
    ReviewForm,
    SettingsForm,
    StepFormSet,
    plan_data,
    settings_data,
    steps_data,
)
from reminders.manual import reminder_send_now
from reminders.models import FollowUpPlan, FollowUpStep, Task, TaskStatus
from reminders.review import (
    awaiting_approval,
    dispatches_approve,
    dispatches_postpone,
    dispatches_skip,
    postponed_count,
    review_rows,
)
from reminders.services import plan_write, settings_save


class FollowUpOverviewView(OrganizationView):
    def get(self, request, organization_slug):
        plans = FollowUpPlan.objects.filter(organization=self.organization).annotate(
            step_count=Count("steps", distinct=True), customer_count=Count("customers", distinct=True))  # fmt: skip
        context = {"plans": plans, "follow_up": settings_for(self.organization), "nav": "follow-up",
                   "counts": dict(Dispatch.objects.filter(organization=self.organization).values_list("status")
                                  .annotate(n=Count("id")).order_by())}  # fmt: skip
        return render(request, "reminders/overview.html", context)


class PlanEditView(OrganizationView):
    model = FollowUpPlan

    def get(self, request, organization_slug, pk=None):
        plan = self.get_object() if pk else None
        return self.render(PlanForm(instance=plan, organization=self.organization), self._steps(plan), plan)

    def post(self, request, organization_slug, pk=None):
        if not self.membership.can_configure:
            raise PermissionDenied
        plan = self.get_object() if pk else None
        form = PlanForm(request.POST, instance=plan, organization=self.organization)
        steps = self._steps(plan, request.POST)
        if not (form.is_valid() and steps.is_valid()):
            return self.render(form, steps, plan, status=400)
        try:
            plan = plan_write(
                organization=self.organization,
                plan=plan,
                data=plan_data(form),
                steps=steps_data(steps),
                actor=request.user,
            )
        except ProtectedError:
            messages.error(request, _("A step that already sent messages cannot be removed; change it instead."))
            return self.render(form, steps, plan, status=400)
        messages.success(request, _("Plan saved. Schedules are being updated."))
        return redirect("follow_up:plan", organization_slug=organization_slug, pk=plan.pk)

    def _steps(self, plan, data=None):
        queryset = FollowUpStep.objects.filter(plan=plan).order_by("position") if plan else FollowUpStep.objects.none()
        return StepFormSet(data, queryset=queryset, prefix="steps", form_kwargs={"organization": self.organization})

    def render(self, form, steps, plan, status=200):
        context = {"form": form, "steps": steps, "plan": plan, "nav": "follow-up"}
        return render(self.request, "reminders/plan_form.html", context, status=status)


class SettingsView(OrganizationView):
    requires_configure = True

    def get(self, request, organization_slug):
        return self.render(SettingsForm(instance=settings_for(self.organization)))

    def post(self, request, organization_slug):
        form = SettingsForm(request.POST, instance=settings_for(self.organization))
        if not form.is_valid():
            return self.render(form, status=400)
        # A fresh copy: validating the form already wrote the new values on its instance.
        settings_save(follow_up=settings_for(self.organization), data=settings_data(form), actor=request.user)
        messages.success(request, _("Follow-up settings saved."))
        return redirect("follow_up:settings", organization_slug=organization_slug)

    def render(self, form, status=200):
        return render(self.request, "reminders/settings.html", {"form": form, "nav": "follow-up"}, status=status)


class UpcomingView(OrganizationView):
    def get(self, request, organization_slug):
        book = PlanBook.load(self.organization)
        invoices = upcoming(organization=self.organization, now=timezone.now())
        explanations = explain_many(invoices, book=book)
        rows = [
            {"invoice": invoice, "explanation": explanation}
            for invoice, explanation in zip(invoices, explanations, strict=True)
        ]
        return render(
            request, "reminders/upcoming.html", {"rows": rows, "follow_up": book.follow_up, "nav": "follow-up"}
        )


class DispatchListView(OrganizationView):
    model = Dispatch

    def get(self, request, organization_slug):
        queryset = self.scoped().select_related("customer", "step").order_by("-created_at", "-id")
        status = request.GET.get("status", "")
        if status in DispatchStatus.values:
            queryset = queryset.filter(status=status)
        channel = request.GET.get("channel", "")
        if channel in StepChannel.values:
            queryset = queryset.filter(channel=channel)
        page = Paginator(queryset, 50).get_page(request.GET.get("page"))
        context = {"page_obj": page, "dispatches": page.object_list, "statuses": DispatchStatus.choices,
                   "channels": StepChannel.choices, "status": status, "channel": channel,
                   "nav": "follow-up"}  # fmt: skip
        return render(request, "reminders/dispatch_list.html", context)


class DispatchDetailView(OrganizationView):
    model = Dispatch

    def get(self, request, organization_slug, pk):
        dispatch = self.get_object()
        context = {
            "dispatch": dispatch,
            "items": dispatch.items.select_related("invoice"),
            "attempts": dispatch.delivery_attempts.all(),
            "nav": "follow-up",
            "html": html_for_display(dispatch.html_body, dispatch.attachments),
        }
        return render(request, "reminders/dispatch_detail.html", context)


class ToApproveView(OrganizationView):
    """Follow-up > To approve: messages of plans that review before sending; approve, skip or postpone them."""

    model = Dispatch

    def get(self, request, organization_slug):
        return self.render(ReviewForm())

    def post(self, request, organization_slug):
        form = ReviewForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        data = form.cleaned_data
        if data["select_all"]:
            # Only what the page listed: a message decided or back from a postponement since was never seen.
            shown_at = min(data["shown_at"], timezone.now())
            shown = awaiting_approval(organization=self.organization, now=shown_at).filter(
                pk__lte=data["cutoff"], created_at__lte=shown_at
            )
            ids = list(shown.values_list("pk", flat=True))
        else:
            ids = parse_ids(request.POST.getlist("ids"))  # re-scoped by the services: foreign ids change nothing
        if not ids:
            messages.error(request, _("Select at least one message."))
            return redirect("follow_up:to-approve", organization_slug=organization_slug)
        result = self._apply(data, ids)
        count = len(result.done)
        texts = {
            ReviewForm.APPROVE: ngettext(
                "%(count)s message approved; it goes out in the next sending window.",
                "%(count)s messages approved; they go out in the next sending window.",
                count,
            ),
            ReviewForm.SKIP: ngettext("%(count)s message skipped.", "%(count)s messages skipped.", count),
            ReviewForm.POSTPONE: ngettext("%(count)s message postponed.", "%(count)s messages postponed.", count),
        }
        messages.success(request, texts[data["action"]] % {"count": count})
        if unchanged := len(result.unchanged):
            messages.warning(
                request,
                ngettext(
                    "%(count)s message had already been decided.",
                    "%(count)s messages had already been decided.",
                    unchanged,
                )
                % {"count": unchanged},
            )
        return redirect("follow_up:to-approve", organization_slug=organization_slug)

    def _apply(self, data: dict, ids: list[int]):
        common = {"organization": self.organization, "dispatch_ids": ids, "actor": self.request.user}
        if data["action"] == ReviewForm.APPROVE:
            return dispatches_approve(**common)
        if data["action"] == ReviewForm.SKIP:
            return dispatches_skip(**common)
        return dispatches_postpone(until=data["until"], **common)

    def render(self, form, status=200):
        now = timezone.now()
        queryset = awaiting_approval(organization=self.organization, now=now).select_related("organization")
        page = Paginator(queryset, 50).get_page(self.request.GET.get("page"))
        context = {
            "form": form,
            "page_obj": page,
            "rows": review_rows(list(page.object_list), now=now),
            "postponed": postponed_count(organization=self.organization, now=now),
            "nav": "follow-up",
            "cutoff": queryset.aggregate(cutoff=Max("pk"))["cutoff"] or 0,
            "shown_at": now,
        }
        return render(self.request, "reminders/to_approve.html", context, status=status)


class ActionsView(OrganizationView):
    model = Task

    def get(self, request, organization_slug):
        status = request.GET.get("status", TaskStatus.TODO)
        tasks = self.scoped().select_related("customer", "invoice", "assigned_to__user")
        if status in TaskStatus.values:
            tasks = tasks.filter(status=status)
        if request.GET.get("mine") == "1":
            tasks = tasks.filter(assigned_to=self.membership)
        page = Paginator(tasks.order_by("due_on", "id"), 50).get_page(request.GET.get("page"))
        mine = request.GET.get("mine") == "1"
        context = {"page_obj": page, "tasks": page.object_list, "status": status, "mine": mine,
                   "nav": "actions"}  # fmt: skip
        return render(request, "reminders/actions.html", context)


class TaskToggleView(OrganizationView):
    model = Task

    def post(self, request, organization_slug, pk):
        from reminders.todos import task_set_done

        task = task_set_done(task=self.get_object(), done=request.POST.get("done") == "1", actor=request.user)
        messages.success(request, _("Task marked done.") if task.status == TaskStatus.DONE else _("Task reopened."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = f"/o/{organization_slug}/actions/"
        return redirect(target)


class CustomerPauseView(OrganizationView):
    model = Customer

    def post(self, request, organization_slug, pk):
        customer = self.get_object()
        if request.POST.get("resume") == "1":
            customer_pause_follow_up(customer=customer, until=None, actor=request.user)
            messages.success(request, _("Follow-up resumed for this customer."))
        else:
            form = CustomerPauseForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose the date until which to pause."))
            else:
                customer_pause_follow_up(customer=customer, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Follow-up paused for this customer."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=customer.pk)


class RemindNowView(OrganizationView):
    """Send a reminder now: choose the message, edit it, see it, send. One customer's invoices only."""

    model = Invoice

    def invoice_ids(self) -> list[int]:
        raw = self.request.POST.getlist("invoices") or self.request.GET.getlist("invoices")
        return parse_ids(raw)

    def get(self, request, organization_slug):
        invoices = self.scoped().filter(pk__in=self.invoice_ids()).select_related("customer")
        if not invoices:
            messages.error(request, _("Select at least one open invoice to remind."))
            return redirect("invoices:list", organization_slug=organization_slug)
        purpose = request.GET.get("purpose", TemplatePurpose.REMINDER_1)
        purpose = purpose if purpose in TemplatePurpose.values else TemplatePurpose.REMINDER_1
        customer = invoices[0].customer
        text = text_for(organization=self.organization, purpose=purpose, language=customer.language)
        form = RemindForm(initial={"purpose": purpose, "subject": text.subject, "body": text.body})
        return self.render(form, invoices)

    def post(self, request, organization_slug):
        invoices = list(self.scoped().filter(pk__in=self.invoice_ids()).select_related("customer"))
        form = RemindForm(request.POST)
        if form.is_valid():
            try:
                dispatch = reminder_send_now(organization=self.organization, invoice_ids=self.invoice_ids(),
                                             actor=request.user, **form.cleaned_data)  # fmt: skip
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Reminder queued; it goes out within a minute."))
                return redirect("follow_up:dispatch", organization_slug=organization_slug, pk=dispatch.pk)
        return self.render(form, invoices, status=400)

    def render(self, form, invoices, status=200):
        context = {"form": form, "invoices": invoices, "nav": "invoices",
                   "customers": {invoice.customer for invoice in invoices}}  # fmt: skip
        return render(self.request, "reminders/remind.html", context, status=status)
