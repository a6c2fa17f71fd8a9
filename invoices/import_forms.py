from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from invoices.batches import MAX_UPLOAD_BYTES
from invoices.models import ImportKind

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
