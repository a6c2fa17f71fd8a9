from __future__ import annotations

import csv

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from invoices.batches import MAX_UPLOAD_BYTES
from invoices.models import ImportKind
from tabular.reading import MAX_ROWS, MAX_XLSX_UNPACKED_BYTES, UnreadableFile

ALLOWED_SUFFIXES = (".csv", ".xlsx")


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What does the file hold?"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (comma or semicolon) or Excel XLSX, at most 20 MB. The first row holds the column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(name=upload.name, size=upload.size)
        return upload


def check_upload(*, name: str, size: int) -> None:
    """The page's and the API's checks of an uploaded file, before it is read. Raises ValidationError."""
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise forms.ValidationError(_("Upload a CSV or XLSX file."))
    if size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            _("The file is %(size)s; the limit is 20 MB. Split it into smaller files.") % {"size": filesizeformat(size)}
        )


def unreadable_message(problem: UnreadableFile) -> str:
    """Why an uploaded file could not be read, for the page and the API."""
    reason = problem.args[0] if problem.args else ""
    if reason == "xlsx":
        return gettext("This file is not a readable Excel workbook (XLSX).")
    if reason == "xlsx_too_large":
        return gettext("This Excel workbook unpacks to more than %(max)s MB; split it into smaller files.") % {
            "max": MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)
        }
    if reason == "csv_field_too_long":
        return gettext("A cell of this CSV file holds more than %(max)s characters; it cannot be read.") % {
            "max": f"{csv.field_size_limit():,}"
        }
    if reason == "csv":
        return gettext("This file is not a readable CSV file.")
    if reason == "too_many_rows":
        return gettext("The file has more than %(max)s rows; split it into smaller files.") % {"max": f"{MAX_ROWS:,}"}
    return gettext("The file is empty.")
