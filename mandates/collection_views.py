"""Collections pages: direct-debit batches, their debits, and what the bank did with them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
    requested_collection_date,
)
from mandates.collection_forms import BatchForm, MarkPaidForm, ReturnForm
from mandates.collection_selection import drop_reason_label
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
    """Step 1: choose the profile, date and whether invoices not yet due come along. Step 2 lists every debit
    with checkboxes to leave out invoices or whole customers (kept across "Update the preview"). Confirming
    builds exactly the previewed debits minus the exclusions; a changed profile, date or option previews again.
    """

    model = CollectionBatch

    def get(self, request, organization_slug):
        return self.show(BatchForm(organization=self.organization))

    def post(self, request, organization_slug):
        form = BatchForm(request.POST, organization=self.organization)
        if not form.is_valid():
            return self.show(form, status=400)
        profile, wanted = form.cleaned_data["profile"], form.cleaned_data["collection_date"]
        previewed = request.POST.get("previewed_key")
        changed = previewed is not None and previewed != self.preview_key(form)
        if "confirm" not in request.POST or changed:
            preview = batch_preview(
                organization=self.organization, profile=profile, collection_date=wanted, selection=form.selection()
            )
            return self.show(form, preview=preview, changed=changed and "confirm" in request.POST)
        try:
            selection = form.selection(previewed=previewed is not None)
            batch = batch_build(
                organization=self.organization,
                profile=profile,
                collection_date=wanted,
                selection=selection,
                actor=request.user,
            )
        except CollectionError as error:
            return self.show(form, error=error, status=400)
        messages.success(request, _("Batch created: %(count)s debits.") % {"count": batch.item_count})
        if batch.dropped_invoices:
            messages.warning(request, dropped_text(batch))
        return redirect("collections:detail", organization_slug=organization_slug, pk=batch.pk)

    def preview_key(self, form) -> str:
        """What a preview depends on besides the exclusions: profile, effective collection date and option."""
        profile = form.cleaned_data["profile"]
        today = organization_today(self.organization)
        day = requested_collection_date(profile=profile, today=today, wanted=form.cleaned_data["collection_date"])
        return f"{profile.pk}:{day.isoformat()}:{int(form.cleaned_data['include_not_yet_due'])}"

    def show(self, form, *, preview=None, error=None, changed=False, status=200):
        today = organization_today(self.organization)
        earliest = {profile.pk: earliest_collection_date(profile=profile, today=today)
                    for profile in form.fields["profile"].queryset}  # fmt: skip
        context = {
            "form": form,
            "preview": preview,
            "error": error,
            "earliest": earliest,
            "nav": NAV,
            "changed": changed,
            "preview_key": self.preview_key(form) if preview else "",
        }
        return render(self.request, "mandates/collections/batch_form.html", context, status=status)


def dropped_text(batch: CollectionBatch) -> str:
    listed = ", ".join(f"{entry['number']} ({drop_reason_label(entry['reason'])})" for entry in batch.dropped_invoices)
    return ngettext(
        "%(count)s previewed invoice was left out because it could no longer be collected: %(invoices)s",
        "%(count)s previewed invoices were left out because they could no longer be collected: %(invoices)s",
        len(batch.dropped_invoices),
    ) % {"count": len(batch.dropped_invoices), "invoices": listed}


class BatchDetailView(OrganizationView):
    model = CollectionBatch

    def get(self, request, organization_slug, pk):
        batch = self.get_object()
        items = batch.items.select_related("invoice", "customer", "mandate").order_by("id")
        paid_form = MarkPaidForm(initial={"paid_on": batch.collection_date})
        dropped = [{**entry, "label": drop_reason_label(entry["reason"])} for entry in batch.dropped_invoices]
        context = {
            "batch": batch,
            "items": items,
            "paid_form": paid_form,
            "return_form": ReturnForm(),
            "nav": NAV,
            "activity": activity_for(organization=self.organization, subject=batch)[:200],
            "dropped": dropped,
        }
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
