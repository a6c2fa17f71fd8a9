"""Customer pages: list with search, customer page with contacts, invoices and timeline; forms."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from customers.forms import ContactForm, CustomerForm
from customers.models import Contact, Customer, CustomerType
from customers.selectors import customers_list, with_open_balance
from customers.services import (
    contact_create,
    contact_delete,
    contact_update,
    customer_create,
    customer_update,
)
from organizations.selectors import activity_for
from organizations.views_base import OrganizationView

PAGE_SIZE = 50


class CustomerListView(OrganizationView):
    model = Customer

    def get(self, request, organization_slug):
        search = request.GET.get("q", "").strip()
        queryset = customers_list(organization=self.organization, search=search)
        customer_type = request.GET.get("type", "")
        if customer_type in CustomerType.values:
            queryset = queryset.filter(type=customer_type)
        page = Paginator(with_open_balance(queryset), PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page_obj": page,
            "customers": page.object_list,
            "q": search,
            "type": customer_type,
            "types": CustomerType.choices,
            "nav": "customers",
        }
        return render(request, "customers/customer_list.html", context)


class CustomerDetailView(OrganizationView):
    model = Customer

    def get(self, request, organization_slug, pk):
        customer = self.get_object()
        customer.open_balance = with_open_balance(self.scoped().filter(pk=customer.pk)).get().open_balance
        context = {
            "customer": customer,
            "contacts": customer.contacts.all(),
            "invoices": customer.invoices.order_by("-due_date", "-id")[:100],
            "activity": activity_for(organization=self.organization, subject=customer)[:200],
            "nav": "customers",
        }
        return render(request, "customers/customer_detail.html", context)


class CustomerCreateView(OrganizationView):
    model = Customer

    def get(self, request, organization_slug):
        form = CustomerForm(
            organization=self.organization,
            initial={"language": self.organization.default_language, "country": self.organization.country},
        )
        return self.render(form)

    def post(self, request, organization_slug):
        form = CustomerForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.render(form, status=400)
        customer = customer_create(organization=self.organization, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Customer created."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=customer.pk)

    def render(self, form, status=200, customer=None):
        return render(
            self.request,
            "customers/customer_form.html",
            {"form": form, "customer": customer, "nav": "customers"},
            status=status,
        )


class CustomerUpdateView(CustomerCreateView):
    def get(self, request, organization_slug, pk):
        customer = self.get_object()
        return self.render(CustomerForm(instance=customer, organization=self.organization), customer=customer)

    def post(self, request, organization_slug, pk):
        customer = self.get_object()
        form = CustomerForm(
            request.POST, instance=Customer.objects.get(pk=customer.pk), organization=self.organization
        )
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


class ContactDeleteView(OrganizationView):
    model = Contact

    def post(self, request, organization_slug, pk):
        contact = self.get_object()
        customer_id = contact.customer_id
        contact_delete(contact=contact, actor=request.user)
        messages.success(request, _("Contact removed."))
        return redirect("customers:detail", organization_slug=organization_slug, pk=customer_id)
