"""Invoice pages: the list, an invoice, payments and status changes (the dashboard lives in reports)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from customers.filters import NONE
from invoices.filters import SORTS, InvoiceFilter
from invoices.forms import InvoiceForm, PaymentByReferenceForm, PaymentForm, StatusForm
from invoices.hooks import explain_follow_up, has_default_follow_up_plan
from invoices.models import Invoice, InvoiceStatus
from invoices.payment_details import payment_details_for_invoice
from invoices.selectors import payments_for
from invoices.services import invoice_change_status, invoice_create, invoice_pause_follow_up, payment_record
from organizations.activity import TIMELINE_KINDS
from organizations.selectors import activity_for, activity_of_kind, members_list
from organizations.services import log_action
from organizations.views_base import OrganizationView
from tabular.pagination import CappedPaginator

PAGE_SIZE = 50


def _today(organization):
    return timezone.localdate(timezone=organization.zone)


class InvoiceListView(OrganizationView):
    model = Invoice

    def get(self, request, organization_slug):
        base = Invoice.objects.filter(organization=self.organization).select_related("customer")
        filterset = InvoiceFilter(request.GET, queryset=base, request=request, organization=self.organization)
        sort = request.GET.get("sort", "-days_overdue")
        queryset = filterset.qs.order_by(*SORTS.get(sort, SORTS["-days_overdue"]))
        # The total is counted up to 10,000 ("10,000+" beyond): an organization's open invoices can number
        # hundreds of thousands, and counting them all costs more than the page itself.
        page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        today = _today(self.organization)
        automatic = follow_up_applies(self.organization)
        for invoice in page.object_list:
            owed = invoice.status in Invoice.OWED_STATUSES
            invoice.days_overdue = max((today - invoice.due_date).days, 0) if owed else 0
            invoice.followed_up_automatically = owed and not invoice.follow_up_paused and automatic(invoice)
        filters_active = any(value for key, value in request.GET.items() if key not in ("page", "sort"))
        context = {
            "page_obj": page,
            "invoices": page.object_list,
            "filter": filterset,
            "sort": sort,
            "reference_form": PaymentByReferenceForm(organization=self.organization),
            "statuses": InvoiceStatus.choices,
            "filters_active": filters_active,
            "managers": manager_choices(self.organization),
            "nav": "invoices",
        }
        return render(request, "invoices/invoice_list.html", context)


def manager_choices(organization) -> list[tuple[str, str]]:
    """The account-manager filter's options: "none", then the members who are account managers."""
    managers = members_list(organization=organization).filter(is_account_manager=True)
    return [(NONE, _("None"))] + [(str(member.pk), str(member.user)) for member in managers]


def follow_up_applies(organization):
    """Whether an invoice is under automatic follow-up: its customer has a plan, or the organization a default.

    The follow-up engine will refine this (plan steps, kill switch); this marker already tells users
    which invoices no plan covers.
    """
    has_default = bool(has_default_follow_up_plan(organization))
    return lambda invoice: has_default or invoice.customer.follow_up_plan_id is not None


class PaymentByReferenceView(OrganizationView):
    """Record a transfer from the bank statement: its payment reference finds the invoice."""

    model = Invoice

    def get(self, request, organization_slug):
        return self.render(PaymentByReferenceForm(organization=self.organization))

    def post(self, request, organization_slug):
        form = PaymentByReferenceForm(request.POST, organization=self.organization)
        if form.is_valid():
            data = dict(form.cleaned_data)
            invoice = form.invoice
            data["amount"] = data["amount"] or invoice.open_amount
            try:
                payment_record(invoice=invoice, actor=request.user, **data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
        if not form.is_valid():
            return self.render(form, status=400)
        messages.success(request, _("Payment recorded on invoice %(number)s.") % {"number": invoice.number})
        return redirect("invoices:detail", organization_slug=organization_slug, pk=invoice.pk)

    def render(self, form, status=200):
        context = {"form": form, "nav": "invoices"}
        return render(self.request, "invoices/payment_by_reference.html", context, status=status)


class FollowUpPauseView(OrganizationView):
    model = Invoice

    def post(self, request, organization_slug, pk):
        invoice = invoice_pause_follow_up(
            invoice=self.get_object(), paused=request.POST.get("paused") == "1",
            reason=request.POST.get("reason", "").strip(), actor=request.user,
        )  # fmt: skip
        messages.success(request, _("Follow-up paused for this invoice.") if invoice.follow_up_paused
                         else _("Follow-up resumed for this invoice."))  # fmt: skip
        return redirect("invoices:detail", organization_slug=organization_slug, pk=invoice.pk)


class InvoiceDetailView(OrganizationView):
    model = Invoice

    def scoped(self):
        # The page and its follow-up explanation read the customer and the organization: in the same query.
        return super().scoped().select_related("customer", "organization")

    def get(self, request, organization_slug, pk):
        return self.render(self.get_object())

    def render(self, invoice, payment_form=None, status_form=None, status=200):
        today = _today(self.organization)
        context = {
            "invoice": invoice,
            "days_overdue": max((today - invoice.due_date).days, 0) if invoice.status in Invoice.OWED_STATUSES else 0,
            "payments": payments_for(invoice=invoice),
            "follow_up": explain_follow_up(invoice),
            "activity": activity_of_kind(
                activity_for(organization=self.organization, subject=invoice), self.request.GET.get("kind")
            )[:200],
            "kind": self.request.GET.get("kind", ""),
            "timeline_kinds": TIMELINE_KINDS,
            "payment_form": payment_form or PaymentForm(initial={"amount": invoice.open_amount}),
            "status_form": status_form or StatusForm(),
            "how_to_pay": payment_details_for_invoice(invoice=invoice, language=get_language()),
            "nav": "invoices",
        }
        return render(self.request, "invoices/invoice_detail.html", context, status=status)


class PaymentCreateView(InvoiceDetailView):
    def post(self, request, organization_slug, pk):
        invoice = self.get_object()
        form = PaymentForm(request.POST)
        if form.is_valid():
            try:
                payment_record(invoice=invoice, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
        if not form.is_valid():
            return self.render(invoice, payment_form=form, status=400)
        messages.success(request, _("Payment recorded."))
        return redirect("invoices:detail", organization_slug=organization_slug, pk=invoice.pk)


class InvoiceStatusView(InvoiceDetailView):
    def post(self, request, organization_slug, pk):
        invoice = self.get_object()
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                invoice_change_status(invoice=invoice, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error.messages)
        if not form.is_valid():
            return self.render(invoice, status_form=form, status=400)
        messages.success(request, _("Invoice status changed."))
        return redirect("invoices:detail", organization_slug=organization_slug, pk=invoice.pk)


class InvoiceCreateView(OrganizationView):
    model = Invoice

    def get(self, request, organization_slug):
        initial = {"issue_date": _today(self.organization), "customer": request.GET.get("customer")}
        return self.render(InvoiceForm(organization=self.organization, initial=initial))

    def post(self, request, organization_slug):
        form = InvoiceForm(request.POST, request.FILES, organization=self.organization)
        if form.is_valid():
            data = dict(form.cleaned_data)
            customer = data.pop("customer")
            try:
                invoice = invoice_create(organization=self.organization, customer=customer, actor=request.user, **data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
        if not form.is_valid():
            return self.render(form, status=400)
        messages.success(request, _("Invoice created."))
        return redirect("invoices:detail", organization_slug=organization_slug, pk=invoice.pk)

    def render(self, form, status=200):
        return render(self.request, "invoices/invoice_form.html", {"form": form, "nav": "invoices"}, status=status)


class InvoicePdfView(OrganizationView):
    model = Invoice

    def get(self, request, organization_slug, pk):
        invoice = self.get_object()
        if not invoice.pdf:
            raise Http404
        log_action(organization=self.organization, subject=invoice, code="invoice.pdf_downloaded", actor=request.user)
        return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf")
