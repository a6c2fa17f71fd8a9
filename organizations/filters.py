"""Filters shared by every filter set (the list pages, the exports and the API)."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from organizations.parsing import parse_id

# No row has this id: an id that cannot be one (text, 0, negative, beyond 64 bits) finds nothing.
UNUSABLE_ID = 0


class IdFormField(forms.CharField):
    """Any text in; a usable id, UNUSABLE_ID or None (empty) out. Never a database overflow."""

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        number = parse_id(text)
        return UNUSABLE_ID if number is None else number


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A related object by its plain id, matched inside the queryset the view already scoped to the organization.

    Use this (never a ModelChoiceFilter, which validates against every tenant's rows and so answers "Select a
    valid choice" only for ids that exist nowhere): a foreign id and a missing id both find nothing.
    """

    field_class = IdFormField

    def get_max_validator(self):
        return None
