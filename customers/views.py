"""Customer pages: the filtered list with selection and bulk actions, the customer page, forms, jobs."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.bulk import BULK_ACTIONS, bulk_action_get
from customers.filters import NONE, SHORT_SEARCH, CustomerFilter
from customers.forms import ContactForm, CustomerForm
from customers.hooks import explain_follow_up, filter_choices_for
from customers.jobs import bulk_job_create, selection_queryset
from customers.models import BulkJob, Contact, Customer, CustomerBalance
from customers.services import (
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_update,
)
from customers.stats import customer_balances
from localized.filters import machine_query
from localized.money import format_amount_input
from organizations.activity import TIMELINE_KINDS
from organizations.selectors import account_managers_list, activity_of_kind, timeline_for_customer
from organizations.views_base import OrganizationView
from tabular.pagination import CappedPaginator

PAGE_SIZE = 50
SORTS = {
    "name": ("name", "id"),
    "-balance": ("-open_balance", "id"),
    "oldest_due": ("oldest_open_due_date", "id"),
    "-created": ("-created_at", "-id"),
}
NOT_FILTERS = {"page", "sort"}


def filter_choices(organization) -> dict:
    """Options for the filter panel; the other apps' records come from their registrations (customers/hooks.py)."""
    return {
        "profile": filter_choices_for("profile", organization),
        "account_manager": [(NONE, _("None"))]
        + [(str(m.pk), str(m.user)) for m in account_managers_list(organization=organization)],
        "follow_up_plan": [(NONE, _("Default plan"))] + filter_choices_for("follow_up_plan", organization),
    }


def active_chips(request, filterset: CustomerFilter, choices: dict) -> list[dict]:
    """One removable chip per active filter, each with the URL that drops it."""
    chips = []
    for name, value in request.GET.items():
        if name in NOT_FILTERS or not value or name not in filterset.filters:
            continue
        display = dict(choices.get(name, [])).get(value)
        if display is None and hasattr(filterset.filters[name], "extra"):
            display = dict(filterset.filters[name].extra.get("choices", [])).get(value, value)
        remaining = request.GET.copy()
        remaining.pop(name)
        remaining.pop("page", None)
        chips.append({"label": filterset.filters[name].label, "value": display, "remove": remaining.urlencode()})
    return chips


def _mine_as_account_manager(query, membership) -> None:
    """A bulk job re-reads the filter without the reader: "mine" is written as the reader's membership id."""
    mine = query.pop("mine", [""])[-1]
    if mine not in ("true", "1", "yes") or membership is None:
        return
    chosen = query.get("account_manager")
    query["account_manager"] = str(membership.pk) if chosen in (None, "", str(membership.pk)) else "0"


class CustomerListView(OrganizationView):
    model = Customer

    def get(self, request, organization_slug):
        base = Customer.objects.filter(organization=self.organization).select_related("account_manager__user")
        # Open amounts in other currencies, shown under the balance (the page's 50 customers only).
        other_currencies = CustomerBalance.objects.exclude(currency=self.organization.currency.upper())
        base = base.prefetch_related(Prefetch("balances", queryset=other_currencies, to_attr="other_balances"))
        filterset = CustomerFilter(
            request.GET,
            queryset=base,
            request=request,
            organization=self.organization,
            language=translation.get_language(),
        )
        sort = request.GET.get("sort", "name")
        queryset = filterset.qs.order_by(*SORTS.get(sort, SORTS["name"]))
        # Counted once, up to 10,000 ("10,000+" beyond): a broad search can match most of 200,000 customers.
        page = CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        choices = filter_choices(self.organization)
        # Amounts in the machine form: a bulk job reads this query again later, without the reader's language.
        filter_query = machine_query(filterset)
        for name in NOT_FILTERS:
            filter_query.pop(name, None)
        _mine_as_account_manager(filter_query, self.membership)
        context = {
            "page_obj": page, "customers": page.object_list, "filter": filterset, "choices": choices,
            "chips": active_chips(request, filterset, choices), "sort": sort,
            "amount_example": format_amount_input(Decimal("1234.56")),
            "filter_query": filter_query.urlencode(),
            "bulk_actions": BULK_ACTIONS.values(), "nav": "customers",
        }  # fmt: skip
        context["short_search"] = 0 < len(request.GET.get("search", "").strip()) < SHORT_SEARCH
        return render(request, "customers/customer_list.html", context)


class BulkActionView(OrganizationView):
    """Step 1 shows the action's form and what will happen; step 2 (confirm) starts the job."""

    model = Customer

    def post(self, request, organization_slug):
        action = bulk_action_get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, _("Choose an action first."))
            return redirect_back(request, organization_slug)
        ids = request.POST.getlist("ids")
        select_all = request.POST.get("select_all") == "1"
        filter_query = request.POST.get("filter_query", "")
        selection = selection_queryset(organization=self.organization, ids=ids, filter_query=filter_query,
                                       select_all=select_all)  # fmt: skip
        count = selection.count()
        if count == 0:
            messages.error(request, _("Select at least one customer."))
            return redirect_back(request, organization_slug)
        form = action.form_class(request.POST if "confirm" in request.POST else None, organization=self.organization)
        if "confirm" in request.POST and form.is_valid():
            job = bulk_job_create(
                organization=self.organization, action=action.name, params=form.cleaned_params(), ids=ids,
                filter_query=filter_query, select_all=select_all, actor=request.user,
            )  # fmt: skip
            return redirect("customers:job", organization_slug=organization_slug, pk=job.pk)
        context = {"action": action, "form": form, "count": count, "ids": ids, "select_all": select_all,
                   "filter_query": filter_query, "nav": "customers"}  # fmt: skip
        return render(request, "customers/bulk_confirm.html", context, status=400 if form.errors else 200)


def redirect_back(request, organization_slug):
    query = request.POST.get("filter_query", "")
    return redirect(f"/o/{organization_slug}/customers/" + (f"?{query}" if query else ""))


class BulkJobView(OrganizationView):
    model = BulkJob

    def get(self, request, organization_slug, pk):
        job = self.get_object()
        action = bulk_action_get(job.action)
        description = action.describe(job.params, self.organization) if action else ""
        context = {"job": job, "action": action, "description": description, "nav": "customers"}
        template = "customers/job_progress.html" if request.htmx else "customers/job.html"
        return render(request, template, context)


class BulkJobListView(OrganizationView):
    model = BulkJob

    def get(self, request, organization_slug):
        jobs = self.scoped().select_related("created_by")[:100]
        labels = {name: action.label for name, action in BULK_ACTIONS.items()}
        for job in jobs:
            job.label = labels.get(job.action, job.action)
        return render(request, "customers/job_list.html", {"jobs": jobs, "nav": "customers"})


class CustomerDetailView(OrganizationView):
    model = Customer

    def scoped(self):
        return super().scoped().select_related("organization")  # for the follow-up explanation

    def get(self, request, organization_slug, pk):
        customer = self.get_object()
        kind = request.GET.get("kind", "")
        context = {
            "customer": customer,
            "balances": customer_balances(customer),
            "contacts": customer.contacts.all(),
            "invoices": customer.invoices.order_by("-due_date", "-id")[:100],
            "agreements": customer.mandates.select_related("profile") if hasattr(customer, "mandates") else [],
            "activity": activity_of_kind(
                timeline_for_customer(organization=self.organization, customer_id=customer.pk), kind
            )[:200],
            "kind": kind,
            "timeline_kinds": TIMELINE_KINDS,
            "follow_up": explain_follow_up(customer),
            "today": timezone.localdate(timezone=self.organization.zone),
            "nav": "customers",
        }
        return render(request, "customers/customer_detail.html", context)


class CustomerCreateView(OrganizationView):
    model = Customer

    def get(self, request, organization_slug):
        initial = {"language": self.organization.default_language, "country": self.organization.country}
        return self.render(CustomerForm(organization=self.organization, initial=initial))

    def post(self, request, organization_slug):
        form = CustomerForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.render(form, status=400)
        customer = customer_create(organization=self.organization, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Customer created."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=customer.pk)

    def render(self, form, status=200, customer=None):
        context = {"form": form, "customer": customer, "nav": "customers"}
        return render(self.request, "customers/customer_form.html", context, status=status)


class CustomerUpdateView(CustomerCreateView):
    def get(self, request, organization_slug, pk):
        customer = self.get_object()
        return self.render(CustomerForm(instance=customer, organization=self.organization), customer=customer)

    def post(self, request, organization_slug, pk):
        customer = self.get_object()
        form = CustomerForm(request.POST, instance=Customer.objects.get(pk=customer.pk), organization=self.organization)
        if not form.is_valid():
            return self.render(form, status=400, customer=customer)
        customer_update(customer=customer, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Customer saved."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=customer.pk)


class ContactCreateView(OrganizationView):
    model = Customer

    def get(self, request, organization_slug, pk):
        return self.render(ContactForm(), customer=self.get_object())

    def post(self, request, organization_slug, pk):
        customer = self.get_object()
        form = ContactForm(request.POST)
        if not form.is_valid():
            return self.render(form, customer=customer, status=400)
        contact_create(customer=customer, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Contact added."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=customer.pk)

    def render(self, form, customer, contact=None, status=200):
        context = {"form": form, "customer": customer, "contact": contact, "nav": "customers"}
        return render(self.request, "customers/contact_form.html", context, status=status)


class ContactUpdateView(ContactCreateView):
    model = Contact

    def get(self, request, organization_slug, pk):
        contact = self.get_object()
        return self.render(ContactForm(instance=contact), customer=contact.customer, contact=contact)

    def post(self, request, organization_slug, pk):
        contact = self.get_object()
        form = ContactForm(request.POST, instance=Contact.objects.get(pk=contact.pk))
        if not form.is_valid():
            return self.render(form, customer=contact.customer, contact=contact, status=400)
        contact_update(contact=contact, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Contact saved."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=contact.customer_id)


class ContactNotifyToggleView(OrganizationView):
    """HTMX: switch whether a contact receives messages, right from the customer page."""

    model = Contact

    def post(self, request, organization_slug, pk):
        contact = self.get_object()
        contact = contact_update(contact=contact, actor=request.user, notify=not contact.notify)
        if not request.htmx:
            return redirect("customers:detail", organization_slug=organization_slug, pk=contact.customer_id)
        return render(request, "customers/contact_notify.html", {"contact": contact})


class ContactDeleteView(OrganizationView):
    model = Contact

    def post(self, request, organization_slug, pk):
        contact = self.get_object()
        customer_id = contact.customer_id
        contact_delete(contact=contact, actor=request.user)
        messages.success(request, _("Contact removed."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=customer_id)
