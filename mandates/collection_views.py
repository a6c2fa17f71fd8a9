"""Collections pages: direct-debit batches, their debits, and what the bank did with them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mandates.collection import (
    CollectionError,
    batch_build,
    batch_cancel,
    batch_download,
    batch_mark_paid,
    batch_mark_submitted,
    batch_preview,
    debit_return,
    earliest_collection_date,
    organization_today,
)
from mandates.collection_forms import BatchForm, MarkPaidForm, ReturnForm
from mandates.models import CollectionBatch, CollectionItem
from organizations.selectors import activity_for
from organizations.views_base import OrganizationView

NAV = "collections"


class BatchListView(OrganizationView):
    model = CollectionBatch

    def get(self, request, organization_slug):
        batches = self.scoped().select_related("profile").order_by("-created_at", "-id")[:200]
        return render(request, "mandates/collections/batch_list.html", {"batches": batches, "nav": NAV})


class BatchCreateView(OrganizationView):
    """Step 1: choose the profile and date; step 2 shows the count and total; confirming builds the batch."""

    model = CollectionBatch

    def get(self, request, organization_slug):
        return self.show(BatchForm(organization=self.organization))

    def post(self, request, organization_slug):
        form = BatchForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.show(form, status=400)
        profile, wanted = form.cleaned_data["profile"], form.cleaned_data["collection_date"]
        if "confirm" not in request.POST:
            preview = batch_preview(organization=self.organization, profile=profile, collection_date=wanted)
            return self.show(form, preview=preview)
        try:
            batch = batch_build(organization=self.organization, profile=profile, collection_date=wanted,
                                actor=request.user)  # fmt: skip
        except CollectionError as error:
            return self.show(form, error=error, status=400)
        messages.success(request, _("Batch created: %(count)s debits.") % {"count": batch.item_count})
        return redirect("collections:detail", organization_slug=organization_slug, pk=batch.pk)

    def show(self, form, *, preview=None, error=None, status=200):
        today = organization_today(self.organization)
        earliest = {profile.pk: earliest_collection_date(profile=profile, today=today)
                    for profile in form.fields["profile"].queryset}  # fmt: skip
        context = {"form": form, "preview": preview, "error": error, "earliest": earliest, "nav": NAV}
        return render(self.request, "mandates/collections/batch_form.html", context, status=status)


class BatchDetailView(OrganizationView):
    model = CollectionBatch

    def get(self, request, organization_slug, pk):
        batch = self.get_object()
        items = batch.items.select_related("invoice", "customer", "mandate").order_by("id")
        paid_form = MarkPaidForm(initial={"paid_on": batch.collection_date})
        context = {"batch": batch, "items": items, "paid_form": paid_form, "return_form": ReturnForm(), "nav": NAV,
                   "activity": activity_for(organization=self.organization, subject=batch)[:200]}  # fmt: skip
        return render(request, "mandates/collections/batch_detail.html", context)


class BatchXmlView(OrganizationView):
    """The pain.008 file. Downloading changes nothing; "Mark as submitted" (a POST) records it went to the bank."""

    model = CollectionBatch

    def get(self, request, organization_slug, pk):
        batch = self.get_object()
        try:
            xml = batch_download(batch=batch, actor=request.user)
        except CollectionError as error:
            messages.error(request, error.message)
            return redirect("collections:detail", organization_slug=organization_slug, pk=batch.pk)
        response = HttpResponse(xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="direct-debit-{batch.pk}.xml"'
        return response


class BatchActionView(OrganizationView):
    """POST-only actions on a batch; each calls one service and comes back to the batch page."""

    model = CollectionBatch

    def post(self, request, organization_slug, pk):
        batch = self.get_object()
        try:
            message = self.act(batch)
        except CollectionError as error:
            messages.error(request, error.message)
        else:
            if message:
                messages.success(request, message)
        return redirect("collections:detail", organization_slug=organization_slug, pk=batch.pk)

    def act(self, batch) -> str:
        raise NotImplementedError


class BatchSubmitView(BatchActionView):
    def act(self, batch) -> str:
        batch_mark_submitted(batch=batch, actor=self.request.user)
        return _("Marked as submitted to the bank.")


class BatchCancelView(BatchActionView):
    def act(self, batch) -> str:
        batch_cancel(batch=batch, actor=self.request.user)
        return _("Batch cancelled; its invoices are back in follow-up.")


class BatchPaidView(BatchActionView):
    def act(self, batch) -> str:
        form = MarkPaidForm(self.request.POST)
        if not form.is_valid():
            raise CollectionError(_("Enter the date the bank collected the batch."))
        batch_mark_paid(batch=batch, paid_on=form.cleaned_data["paid_on"], actor=self.request.user)
        return _("Marked as paid: a direct-debit payment was recorded for each debit.")


class DebitReturnView(OrganizationView):
    model = CollectionItem

    def post(self, request, organization_slug, pk):
        item = self.get_object()
        form = ReturnForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the reason code the bank reported."))
        else:
            try:
                debit_return(item=item, reason_code=form.cleaned_data["reason_code"], actor=request.user)
            except CollectionError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Return recorded; the invoice is back in follow-up."))
        return redirect("collections:detail", organization_slug=organization_slug, pk=item.batch_id)
