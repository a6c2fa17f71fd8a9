"""`{% load localized %}`: `{{ amount|money:currency }}`, `{{ day|local_date }}`, `{{ moment|local_datetime }}`.

The organization's country and time zone are active for every page under /o/<slug>/ (middleware) and for jobs
(`localized.context.override`), so templates only name the value and, for money, its currency.
"""

from __future__ import annotations

from django import template

from localized import dates, money

register = template.Library()


@register.filter(name="money")
def amount_with_currency(amount, currency="EUR"):
    """`€ 1.234,56`: the amount with its currency, as the reader writes it."""
    return money.format_money(amount, currency or "EUR")


@register.filter
def number(value, places=None):
    return money.format_number(value, places=None if places in (None, "") else int(places))


@register.filter
def local_date(value, style="short"):
    return dates.format_date(value, style=style or "short")


@register.filter
def local_datetime(value, with_zone=False):
    return dates.format_datetime(value, with_zone=bool(with_zone))
