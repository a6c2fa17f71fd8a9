"""Every HTML form reads amounts and dates as the person typed them, in every language."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from invoices.forms import InvoiceForm, PaymentForm
from localized.forms import AmountField, LocalDateField
from mandates.collection_forms import BatchForm, MarkPaidForm
from reminders.forms import CustomerPauseForm, StepForm

APPS = ["organizations", "customers", "invoices", "mandates", "campaigns", "reminders", "mailroom", "postal"]


def payment(language: str, amount: str, paid_on: str = "03-12-2026") -> PaymentForm:
    with translation.override(language):
        form = PaymentForm({"amount": amount, "paid_on": paid_on, "method": "bank_transfer"})
        form.is_valid()
    return form


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [
        ("nl", "10,50", "10.50"),
        ("fr", "1 234,56", "1234.56"),
        ("fr", "1\u202f234,56", "1234.56"),
        ("de", "1.234,56", "1234.56"),
        ("nl", "10.50", "10.50"),  # a point followed by two digits cannot be grouping
        ("en", "1,234.56", "1234.56"),
        ("en", "10.50", "10.50"),
    ],
)
def test_a_payment_amount_is_read_in_the_readers_language(language, typed, stored):
    form = payment(language, typed)
    assert form.errors == {}
    assert form.cleaned_data["amount"] == Decimal(stored)


def test_ten_comma_fifty_in_english_is_refused_never_stored_as_a_thousand_and_fifty():
    form = payment("en", "10,50")
    assert form.cleaned_data.get("amount") is None
    assert form.errors["amount"] == ["Enter an amount such as 1,234.56, with a point before the cents."]


def test_the_refusal_names_the_form_expected_in_dutch():
    form = payment("nl", "1,2,3")
    assert form.errors["amount"] == ["Vul een bedrag in zoals 1.234,56, met een komma voor de centen."]


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
@pytest.mark.parametrize("typed", ["03-12-2026", "3/12/2026", "03.12.2026", "2026-12-03"])
def test_paid_on_is_day_first_or_iso_in_every_language(language, typed):
    form = payment(language, "10", paid_on=typed)
    assert form.errors == {}
    assert form.cleaned_data["paid_on"] == dt.date(2026, 12, 3)


def test_a_date_that_is_not_in_the_calendar_is_refused_with_the_expected_form():
    assert payment("en", "10", paid_on="31-02-2026").errors["paid_on"] == ["31-02-2026 is not a date in the calendar."]
    assert payment("nl", "10", paid_on="12/03/26").errors["paid_on"] == [
        "Vul een datum in zoals 31-12-2026 (dag, maand, jaar)."
    ]


def test_a_payment_must_be_more_than_zero():
    assert payment("nl", "0,00").errors["amount"] == ["Vul een bedrag van minstens 0,01 in."]


def test_the_payment_form_renders_text_boxes_with_the_decimal_keypad_and_the_readers_separator():
    with translation.override("nl"):
        html = str(PaymentForm(initial={"amount": Decimal("1234.5"), "paid_on": dt.date(2026, 12, 3)}))
    assert 'type="number"' not in html and 'type="date"' not in html
    assert 'inputmode="decimal"' in html and 'value="1234,50"' in html
    assert 'placeholder="dd-mm-jjjj"' in html


def test_the_invoice_form_reads_amounts_and_dates_as_typed(world):
    with translation.override("de"):
        form = InvoiceForm(
            {
                "customer": world.a.customer.pk,
                "number": "2026-777",
                "issue_date": "01.12.2026",
                "due_date": "31.12.2026",
                "amount": "1.234,56",
                "open_amount": "",
                "currency": "EUR",
            },
            organization=world.org_a,
        )
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("1234.56") == form.cleaned_data["open_amount"]
    assert form.cleaned_data["due_date"] == dt.date(2026, 12, 31)


def test_a_step_minimum_is_an_amount_in_the_readers_language(world):
    with translation.override("fr"):
        form = StepForm(
            {"name": "Rappel", "offset_days": "7", "channel": "task", "min_open_amount": "1 000,50"},
            organization=world.org_a,
        )
        form.is_valid()
    assert form.cleaned_data["min_open_amount"] == Decimal("1000.50")


@pytest.mark.parametrize(
    ("form_class", "data", "name"),
    [
        (CustomerPauseForm, {"until": "24-12-2026"}, "until"),
        (MarkPaidForm, {"paid_on": "24/12/2026"}, "paid_on"),
    ],
)
def test_other_date_fields_are_day_first(form_class, data, name):
    with translation.override("fr"):
        form = form_class(data)
        assert form.is_valid(), form.errors
    assert form.cleaned_data[name] == dt.date(2026, 12, 24)


def test_the_collection_date_is_day_first(world):
    form = BatchForm({"profile": world.a.profile.pk, "collection_date": "24.12.2026"}, organization=world.org_a)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["collection_date"] == dt.date(2026, 12, 24)


def every_form_class():
    for app in APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module_info.name:
                continue
            module = importlib.import_module(module_info.name)
            for value in vars(module).values():
                if inspect.isclass(value) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                    yield value


def test_no_form_asks_for_money_or_a_date_with_a_browser_number_or_date_input():
    offenders = []
    for form_class in every_form_class():
        for name, field in form_class.base_fields.items():
            input_type = getattr(field.widget, "input_type", "")
            if isinstance(field, (forms.DecimalField, forms.FloatField, forms.DateField)) or input_type == "date":
                offenders.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
            if input_type == "number" and not isinstance(field, forms.IntegerField):
                offenders.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert offenders == []
    assert any(isinstance(f, AmountField) for f in PaymentForm.base_fields.values())
    assert any(isinstance(f, LocalDateField) for f in PaymentForm.base_fields.values())
