"""Import pages (upload, preview, confirm, cancel, templates) and the customer and invoice exports."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from customers.filters import CustomerFilter
from customers.imports import CUSTOMER_EXPORT_COLUMNS, customer_export_rows
from customers.models import Customer
from invoices.batches import (
    IMPORTERS,
    failure_text,
    import_batch_cancel,
    import_batch_create,
    import_batch_queue,
    import_progress,
    refusal_text,
)
from invoices.filters import SORTS, InvoiceFilter
from invoices.import_forms import ImportUploadForm, unreadable_message
from invoices.imports import INVOICE_EXPORT_COLUMNS, invoice_export_rows
from invoices.models import ImportBatch, ImportKind, ImportStatus, Invoice
from organizations.parsing import parse_id
from organizations.services import log_action
from organizations.views_base import OrganizationView
from tabular.exports import EXPORT_FORMATS, table_response
from tabular.reading import UnreadableFile, write_csv

LIST_URLS = {ImportKind.CUSTOMERS: "customers:list", ImportKind.INVOICES: "invoices:list"}


class ImportStartView(OrganizationView):
    """Choose what the file holds and upload it; lists the recent imports."""

    model = ImportBatch

    def get(self, request, organization_slug):
        kind = request.GET.get("kind")
        form = ImportUploadForm(initial={"kind": kind if kind in ImportKind.values else ImportKind.CUSTOMERS})
        return self.render(form)

    def post(self, request, organization_slug):
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = import_batch_create(
                    organization=self.organization, kind=form.cleaned_data["kind"], content=upload.read(),
                    filename=upload.name, actor=request.user,
                )  # fmt: skip
            except UnreadableFile as problem:
                form.add_error("file", unreadable_message(problem))
            else:
                return redirect("imports:preview", organization_slug=organization_slug, pk=batch.pk)
        return self.render(form, status=400)

    def render(self, form, status=200):
        kind = form["kind"].value()
        context = {
            "form": form,
            "batches": self.scoped().select_related("created_by")[:20],
            "kinds": [(value, label, IMPORTERS[value].columns, IMPORTERS[value].required)
                      for value, label in ImportKind.choices],
            "nav": kind if kind in ImportKind.values else "customers",
        }  # fmt: skip
        return render(self.request, "invoices/import_start.html", context, status=status)


class ImportPreviewView(OrganizationView):
    """What the file would do: counts, the first rows, every problem, and the confirmation buttons; while a
    worker imports it, the progress (polled every second), and afterwards what was imported or why not."""

    model = ImportBatch

    def get(self, request, organization_slug, pk):
        batch = self.get_object()
        importing = batch.status == ImportStatus.IMPORTING
        if request.htmx and not importing:
            return HttpResponse(headers={"HX-Refresh": "true"})  # finished: show the whole page as it is now
        summary = batch.summary or {}
        context = {
            "batch": batch,
            "summary": summary,
            "pending": batch.status == ImportStatus.PENDING,
            "importing": importing,
            "progress": import_progress(batch),
            "failure": failure_text(summary),
            "list_url": LIST_URLS[batch.kind],
            "more_errors": summary.get("errors_total", 0) - len(summary.get("errors", [])),
            "more_warnings": summary.get("warnings_total", 0) - len(summary.get("warnings", [])),
            "nav": batch.kind,
        }
        template = "invoices/import_progress.html" if request.htmx else "invoices/import_preview.html"
        return render(request, template, context)


class ImportConfirmView(OrganizationView):
    """Hands the confirmed file to a background job; the preview page then shows its progress."""

    model = ImportBatch

    def post(self, request, organization_slug, pk):
        batch = self.get_object()
        outcome = import_batch_queue(
            batch=batch, skip_invalid=request.POST.get("skip_invalid") == "1",
            expected_rows=parse_id(request.POST.get("rows", "")), actor=request.user,
        )  # fmt: skip
        if not outcome.queued:
            messages.error(request, refusal_text(outcome.refusal))
        return redirect("imports:preview", organization_slug=organization_slug, pk=batch.pk)


class ImportCancelView(OrganizationView):
    model = ImportBatch

    def post(self, request, organization_slug, pk):
        if import_batch_cancel(batch=self.get_object(), actor=request.user):
            messages.success(request, _("Import cancelled; nothing was imported."))
        return redirect("imports:start", organization_slug)


class ImportTemplateView(OrganizationView):
    """An empty CSV with the column names, to fill in and upload."""

    kind = ""

    def get(self, request, organization_slug):
        response = HttpResponse(write_csv(IMPORTERS[self.kind].columns, []), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{self.kind}-template.csv")
        return response


class ExportView(OrganizationView):
    """The filtered list as CSV (streamed) or XLSX (written row by row to a temporary file)."""

    kind = ""
    columns: tuple[str, ...] = ()

    def filtered(self) -> QuerySet:
        raise NotImplementedError

    def rows(self, queryset: QuerySet):
        raise NotImplementedError

    def get(self, request, organization_slug):
        export_format = request.GET.get("format", "csv")
        if export_format not in EXPORT_FORMATS:
            return HttpResponseBadRequest(_("Choose the format csv or xlsx."))
        queryset = self.filtered()
        log_action(
            organization=self.organization, subject=self.organization, code="export.downloaded", actor=request.user,
            data={"kind": self.kind, "format": export_format, "rows": queryset.count()},
        )  # fmt: skip
        today = timezone.localdate(timezone=self.organization.zone)
        return table_response(
            export_format=export_format,
            filename=f"{self.kind}-{self.organization.slug}-{today.isoformat()}",
            title=self.kind,
            headers=self.columns,
            rows=self.rows(queryset),
        )


class CustomerExportView(ExportView):
    kind = "customers"
    columns = CUSTOMER_EXPORT_COLUMNS

    def filtered(self) -> QuerySet:
        base = Customer.objects.filter(organization=self.organization)
        language = translation.get_language()  # the page's filters, as its reader typed them
        return CustomerFilter(
            self.request.GET, queryset=base, request=self.request, organization=self.organization, language=language
        ).qs

    def rows(self, queryset: QuerySet):
        return customer_export_rows(queryset)


class InvoiceExportView(ExportView):
    kind = "invoices"
    columns = INVOICE_EXPORT_COLUMNS

    def filtered(self) -> QuerySet:
        base = Invoice.objects.filter(organization=self.organization)
        queryset = InvoiceFilter(
            self.request.GET, queryset=base, request=self.request, organization=self.organization
        ).qs
        return queryset.order_by(*SORTS.get(self.request.GET.get("sort", ""), SORTS["-days_overdue"]))

    def rows(self, queryset: QuerySet):
        return invoice_export_rows(queryset)
