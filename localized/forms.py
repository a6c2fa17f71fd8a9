"""Form fields that read money and dates as the person typed them. Every form uses these, never `type=number`
or `type=date` (browsers reinterpret both by their own locale)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from localized.dates import DateError, format_date, input_placeholder, parse_date
from localized.money import AmountError, example, format_amount_input, parse_amount


class AmountInput(forms.TextInput):
    """A text box with the decimal keypad on phones; shows the value with the reader's decimal separator."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return format_amount_input(value)
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        placeholder = example().replace("1.234", "1234").replace("1,234", "1234")
        context["widget"]["attrs"].setdefault("placeholder", placeholder)
        return context


class AmountField(forms.Field):
    """A Decimal typed as `10,50`, `1.234,56` or `1 234,56` (nl, fr, de) or `10.50`, `1,234.56` (en)."""

    widget = AmountInput

    def __init__(self, *, max_digits: int = 14, decimal_places: int = 2, min_value=None, max_value=None, **kwargs):
        self.max_digits, self.decimal_places = max_digits, decimal_places
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            amount = parse_amount(value, language=translation.get_language(), places=self.decimal_places)
        except AmountError as error:
            raise ValidationError(str(error), code="invalid") from error
        if len(amount.as_tuple().digits) - max(0, -amount.as_tuple().exponent) > self.max_digits - self.decimal_places:
            raise ValidationError(translation.gettext("This amount is too large."), code="max_digits")
        return amount

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                translation.gettext("Enter an amount of at least %(minimum)s.")
                % {"minimum": format_amount_input(self.min_value)},
                code="min_value",
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                translation.gettext("Enter an amount of at most %(maximum)s.")
                % {"maximum": format_amount_input(self.max_value)},
                code="max_value",
            )


class DateTextInput(forms.TextInput):
    """A text box for a day-first date; shows the value as the organization's country writes it."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, dt.date):
            return format_date(value)
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", input_placeholder())
        return context


class LocalDateField(forms.Field):
    """A date typed as `03-12-2026`, `3/12/2026`, `03.12.2026` or `2026-12-03`, in every language."""

    widget = DateTextInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_date(value)
        except DateError as error:
            raise ValidationError(str(error), code="invalid") from error
