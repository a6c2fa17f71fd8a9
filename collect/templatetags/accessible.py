"""Form controls that screen readers can name: `{% control field %}` renders a field's widget linked to its help
text and errors (aria-describedby to ids that exist, aria-invalid), with an optional spoken name for controls
whose visible label is a table column (`{% control field label="Days, step 2" %}`)."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import mark_safe

register = template.Library()


def help_id(field: BoundField) -> str:
    return f"{field.auto_id}_helptext"


def error_id(field: BoundField) -> str:
    return f"{field.auto_id}_error"


@register.simple_tag
def control(field: BoundField, label: str = "", show_help: bool = True):
    """The widget with `aria-describedby` naming only ids the page renders (see components/field.html)."""
    described = []
    if field.help_text and show_help:
        described.append(help_id(field))
    if field.errors:
        described.append(error_id(field))
    attrs = {"aria-describedby": " ".join(described)} if described else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    if label:
        attrs["aria-label"] = label
    widget = field.as_widget(attrs=attrs)
    if not described:
        # Django links help texts on its own (aria-describedby="<id>_helptext"); drop it where no help is shown.
        # The widget's own HTML, escaped by Django, minus one attribute: still safe.
        widget = mark_safe(widget.replace(f' aria-describedby="{help_id(field)}"', ""))  # noqa: S308
    return widget


@register.filter
def helptext_id(field: BoundField) -> str:
    return help_id(field)


@register.filter
def errors_id(field: BoundField) -> str:
    return error_id(field)
