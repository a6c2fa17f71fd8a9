"""`{% load reports %}`: `{% report_cell row column %}` writes a report cell as its kind reads (money, days, …)."""

from __future__ import annotations

from django import template
from django.utils.translation import ngettext

from localized import dates, money

register = template.Library()


def cell_text(row: dict, column) -> str:
    value = row.get(column.key)
    if value is None or value == "":
        return "–"
    if column.kind == "money":
        return money.format_money(value, row.get("currency") or "EUR")
    if column.kind == "date":
        return dates.format_date(value)
    if column.kind == "month":
        return dates.format_date(value, style="MMM y")
    if column.kind == "percent":
        return f"{money.format_number(value, places=1)} %"
    if column.kind == "days":
        return ngettext("%(count)s day", "%(count)s days", value) % {"count": money.format_number(value)}
    if column.kind == "number":
        return money.format_number(value, places=1)
    if column.kind == "int":
        return money.format_number(value)
    return str(value)


@register.simple_tag
def report_cell(row: dict, column) -> str:
    return cell_text(row, column)


@register.simple_tag
def report_link(row: dict, column) -> str:
    return (row.get("links") or {}).get(column.key, "")
