"""Query-string filters (django-filter) for amounts and dates, shared by pages and the REST API.

A page reads an amount as its reader typed it (`1.234,56` in Dutch, `1,234.56` in English); the API and
background jobs read the machine form (`1234.56`) only, whatever the Accept-Language says, so a client's
`1.000` is never taken for a thousand. A filter set chooses with `use_language(filterset, language)`:
pages pass the reader's language, everything else passes nothing.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from localized.forms import LocalDateField
from localized.money import AmountError, parse_amount, parse_machine_amount


class AmountQueryField(forms.Field):
    """An amount in a query string: the reader's form on pages (`language`), the machine form otherwise."""

    def __init__(self, *, language: str | None = None, **kwargs):
        self.language = language
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            if self.language is None:
                return parse_machine_amount(value)
            return parse_amount(value, language=self.language)
        except AmountError as error:
            raise ValidationError(str(error), code="invalid") from error


class AmountFilter(django_filters.Filter):
    """`balance_min=1.234,56` on a Dutch page, `balance_min=1234.56` in the API."""

    field_class = AmountQueryField


class LocalDateFilter(django_filters.Filter):
    """A day-first (`03-12-2026`) or ISO (`2026-12-03`) date, the same in every language and in the API."""

    field_class = LocalDateField


def use_language(filterset: django_filters.FilterSet, language: str | None) -> None:
    """Read this filter set's amounts in `language` (a page), or in the machine form when None (API, jobs)."""
    for declared in filterset.filters.values():
        if isinstance(declared, AmountFilter):
            declared.extra["language"] = language


def machine_query(filterset: django_filters.FilterSet) -> QueryDict:
    """The filter's query with amounts rewritten in the machine form (`1234.56`), for jobs and links that are
    read again without the reader's language; an amount that does not read is left out."""
    if isinstance(filterset.data, QueryDict):
        query = filterset.data.copy()
    else:
        query = QueryDict(mutable=True)
        query.update(filterset.data or {})
    valid = filterset.is_valid()
    for name, declared in filterset.filters.items():
        if not isinstance(declared, AmountFilter) or name not in query:
            continue
        value = filterset.form.cleaned_data.get(name) if valid or name not in filterset.form.errors else None
        if value is None:
            query.pop(name)
        else:
            query[name] = f"{value:.2f}"
    return query
