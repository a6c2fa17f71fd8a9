"""Configuration > Communication > Templates: the organization's texts per purpose and language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _

from messaging.models import MessageTemplate, TemplatePurpose
from messaging.templating import PLACEHOLDERS, TemplateTextError, render_html, render_text, validate_text
from messaging.texts import sample_context, template_reset, template_save, text_for
from organizations.views_base import OrganizationView

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _validated(value: str) -> str:
    try:
        validate_text(value)
    except TemplateTextError as error:
        raise forms.ValidationError(error.problems) from error
    return value


class TemplateForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 16}))

    def clean_subject(self) -> str:
        return _validated(self.cleaned_data["subject"])

    def clean_body(self) -> str:
        return _validated(self.cleaned_data["body"])


def language_name(code: str) -> str:
    """The language's name in the reader's language ("Dutch", "Nederlands", "néerlandais"), capitalized."""
    name = str(get_language_info(code)["name_translated"])
    return name[:1].upper() + name[1:]


class TemplateListView(OrganizationView):
    def get(self, request, organization_slug):
        custom = set(MessageTemplate.objects.filter(organization=self.organization).values_list("purpose", "language"))
        names = {code: language_name(code) for code in LANGUAGE_CODES}
        rows = [
            {"purpose": purpose, "label": label,
             "languages": [{"code": code, "name": names[code], "custom": (purpose, code) in custom}
                           for code in LANGUAGE_CODES]}
            for purpose, label in TemplatePurpose.choices
        ]  # fmt: skip
        columns = [{"code": code, "name": name} for code, name in names.items()]
        context = {
            "rows": rows,
            "template_languages": columns,
            "nav": "configuration",
            "no_bank_account": not self.organization.bank_accounts.exists(),
        }
        return render(request, "reminders/template_list.html", context)


class TemplateEditView(OrganizationView):
    def dispatch(self, request, *args, **kwargs):
        if kwargs["purpose"] not in TemplatePurpose.values or kwargs["language"] not in LANGUAGE_CODES:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, organization_slug, purpose, language):
        text = text_for(organization=self.organization, purpose=purpose, language=language)
        form = TemplateForm(initial={"subject": text.subject, "body": text.body})
        return self.render(form, purpose, language, is_custom=text.is_custom and text.language == language)

    def post(self, request, organization_slug, purpose, language):
        if not self.membership.can_configure:
            raise PermissionDenied
        if "reset" in request.POST:
            template_reset(organization=self.organization, purpose=purpose, language=language, actor=request.user)
            messages.success(request, _("The system default text applies again."))
            return redirect("templates:edit", organization_slug=organization_slug, purpose=purpose, language=language)
        form = TemplateForm(request.POST)
        if not form.is_valid():
            return self.render(form, purpose, language, is_custom=True, status=400)
        template_save(organization=self.organization, purpose=purpose, language=language, actor=request.user,
                      **form.cleaned_data)  # fmt: skip
        messages.success(request, _("Template saved."))
        return redirect("templates:edit", organization_slug=organization_slug, purpose=purpose, language=language)

    def render(self, form, purpose, language, *, is_custom, status=200):
        context = {
            "form": form, "purpose": purpose, "purpose_label": TemplatePurpose(purpose).label, "language": language,
            "is_custom": is_custom, "placeholders": PLACEHOLDERS.items(), "nav": "configuration",
            "preview": self.preview(form.data or form.initial, language),
            "no_bank_account": not self.organization.bank_accounts.exists(),
        }  # fmt: skip
        return render(self.request, "reminders/template_edit.html", context, status=status)

    def preview(self, data, language) -> dict:
        sample = sample_context(organization=self.organization, language=language)
        try:
            subject, body = data.get("subject", ""), data.get("body", "")
            return {"subject": render_text(subject, sample), "html": render_html(body, sample),
                    "text": render_text(body, sample)}  # fmt: skip
        except TemplateTextError as error:
            return {"problems": error.problems}


class TemplatePreviewView(TemplateEditView):
    """HTMX: the preview on sample data, re-rendered as the user types."""

    def post(self, request, organization_slug, purpose, language):
        context = {"preview": self.preview(request.POST, language)}
        return render(request, "reminders/template_preview.html", context)
