"""Activity entries as sentences in the reader's language.

Each code (`invoice.payment_recorded`) has a text: a sentence with `%(key)s` placeholders filled from the entry's
data, formatted for the reader (money with its currency, dates, choice labels, yes/no). Data that the sentence does
not use is shown as "Label: value" details; ids and other internals are left out. Apps register their codes with
`register_activity_labels` in AppConfig.ready (a plain label or an `ActivityText`) and the labels of their data
keys with `register_activity_values`. A code nobody registered still reads as a sentence, never as a dict.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language_info, gettext
from django.utils.translation import gettext_lazy as _

from localized.dates import format_date
from localized.money import format_money, format_number

Formatter = Callable[[Any, "RenderContext"], str]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class RenderContext:
    currency: str = "EUR"


@dataclass(frozen=True)
class ActivityText:
    """`sentence` may use `%(key)s` placeholders; `short` is shown when old data lacks one of them.
    `values` overrides how keys are read for this code (`{"from": MandateState}`); `model` names the fields of a
    `changes` entry with their verbose names and choice labels; `hidden` keys are never shown."""

    sentence: Any
    short: Any = None
    values: Mapping[str, Any] = field(default_factory=dict)
    model: type[models.Model] | None = None
    hidden: tuple[str, ...] = ()
    # Rewrites the data before it is read (e.g. a task title stored as a code, rendered in the reader's language).
    prepare: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class ValueKind:
    label: Any
    format: Formatter


# Formatters ------------------------------------------------------------------------------------------------


def yes_no(value: Any) -> str:
    return gettext("yes") if value else gettext("no")


def _as_decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def money(value: Any, context: RenderContext) -> str:
    amount = _as_decimal(value)
    return format_money(amount, context.currency) if amount is not None else str(value)


def date(value: Any, context: RenderContext) -> str:
    if isinstance(value, dt.date):
        return format_date(value)
    try:
        return format_date(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def count(value: Any, context: RenderContext) -> str:
    return format_number(value) if isinstance(value, int | Decimal) else readable(value, context)


def text(value: Any, context: RenderContext) -> str:
    return readable(value, context)


def language(value: Any, context: RenderContext) -> str:
    try:
        return gettext(get_language_info(str(value))["name"])
    except KeyError:
        return str(value)


def choices(enum: type[models.TextChoices] | Mapping[str, Any]) -> Formatter:
    labels = dict(enum.choices) if hasattr(enum, "choices") else dict(enum)

    def formatted(value: Any, context: RenderContext) -> str:
        if value in labels:
            return str(labels[value])
        return readable(value, context).replace("_", " ")

    return formatted


def readable(value: Any, context: RenderContext) -> str:
    """Any stored value as words: booleans as yes/no, lists joined, nested data as "Label: value"."""
    if isinstance(value, bool):
        return yes_no(value)
    if value is None or value == "":
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(readable(item, context) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key_label(key)}: {format_value(key, item, context)}" for key, item in value.items())
    if isinstance(value, float | Decimal | int):
        return format_number(value)
    return str(value)


# Registries ------------------------------------------------------------------------------------------------

ACTIVITY_LABELS: dict[str, ActivityText] = {}
VALUE_KINDS: dict[str, ValueKind] = {}
# Ids and internals: linked elsewhere or meaningless to a reader. Each app adds its own
# (`register_hidden_activity_keys`).
HIDDEN_KEYS = {"payment", "created"}


def register_hidden_activity_keys(*keys: str) -> None:
    """Data keys no reader should see (ids, internal codes): the app that logs them says so."""
    HIDDEN_KEYS.update(keys)


def register_activity_labels(labels: Mapping[str, Any], *, replace: bool = True) -> None:
    """Register codes with a plain label (`_("Invoice created")`) or an `ActivityText`; `replace=False` adds
    defaults that a more specific registration (in any app, before or after) wins over."""
    for code, label in labels.items():
        if replace or code not in ACTIVITY_LABELS:
            ACTIVITY_LABELS[code] = label if isinstance(label, ActivityText) else ActivityText(sentence=label)


def register_activity_values(kinds: Mapping[str, tuple[Any, Formatter | type[models.TextChoices]]]) -> None:
    """How a data key reads everywhere: `{"method": (_("Method"), PaymentMethod), "paid_on": (_("Paid on"), date)}`."""
    for key, (label, formatter) in kinds.items():
        if isinstance(formatter, type) and issubclass(formatter, models.Choices):
            formatter = choices(formatter)
        VALUE_KINDS[key] = ValueKind(label=label, format=formatter)


def key_label(key: str) -> str:
    if kind := VALUE_KINDS.get(key):
        return str(kind.label)
    return key.replace("_", " ").strip().capitalize()


def format_value(key: str, value: Any, context: RenderContext, text_: ActivityText | None = None) -> str:
    override = text_.values.get(key) if text_ else None
    if override is not None:
        formatter = choices(override) if hasattr(override, "choices") or isinstance(override, Mapping) else override
        return formatter(value, context)
    if value is None or value == "":
        return "–"
    if kind := VALUE_KINDS.get(key):
        return kind.format(value, context)
    return readable(value, context)


# Rendering -------------------------------------------------------------------------------------------------


def text_for(code: str) -> ActivityText | None:
    return ACTIVITY_LABELS.get(code)


def describe(code: str, data: Mapping[str, Any] | None = None, *, currency: str = "EUR") -> str:
    """The entry as one sentence in the active language."""
    data = data or {}
    context = RenderContext(currency=data.get("currency") or currency)
    text_ = text_for(code)
    if text_ is None:
        return fallback_sentence(code)
    data = text_.prepare(data) if text_.prepare else data
    sentence = str(text_.sentence)
    wanted = PLACEHOLDER.findall(sentence)
    if any(data.get(key) in (None, "") for key in wanted):
        return str(text_.short or PLACEHOLDER.sub("…", sentence))
    return sentence % {key: format_value(key, data[key], context, text_) for key in wanted}


def fallback_sentence(code: str) -> str:
    subject, _dot, action = code.partition(".")
    words = (action or subject).replace("_", " ").strip()
    return gettext("%(subject)s: %(action)s") % {
        "subject": subject.replace("_", " ").strip().capitalize(),
        "action": words,
    }


def summarize(code: str, data: Mapping[str, Any] | None, *, currency: str = "EUR") -> str:
    """What the sentence leaves out, as "Label: value" pairs; changes as "Field: old → new"."""
    if not data:
        return ""
    context = RenderContext(currency=data.get("currency") or currency)
    text_ = text_for(code) or ActivityText(sentence="")
    data = text_.prepare(data) if text_.prepare else data
    used = set(PLACEHOLDER.findall(str(text_.sentence))) | HIDDEN_KEYS | set(text_.hidden) | {"currency"}
    parts = []
    for key, value in data.items():
        if key in used or value in ("", None, [], {}):
            continue
        if key == "changes" and isinstance(value, dict):
            parts.extend(_changes(value, text_, context))
            continue
        parts.append(f"{key_label(key)}: {format_value(key, value, context, text_)}")
    return " · ".join(parts)


def _changes(changes: Mapping[str, Any], text_: ActivityText, context: RenderContext) -> list[str]:
    lines = []
    for name, pair in changes.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        label, formatter = _field_reader(text_.model, name)
        lines.append(f"{label}: {formatter(old, context)} → {formatter(new, context)}")
    return lines


def _field_reader(model: type[models.Model] | None, name: str) -> tuple[str, Formatter]:
    try:
        model_field = model._meta.get_field(name) if model else None
    except Exception:  # noqa: BLE001 - a field that no longer exists reads by its name
        model_field = None
    if model_field is None:
        return key_label(name), lambda value, context: _stored(name, value, context, None)
    label = str(getattr(model_field, "verbose_name", name)).strip()
    return label[:1].upper() + label[1:], lambda value, context: _stored(name, value, context, model_field)


def _stored(name: str, value: Any, context: RenderContext, model_field: Any) -> str:
    """A value as a changes entry stored it (often `str()` of the Python value)."""
    if value in (None, "", "None"):
        return "–"
    if value in ("True", "False"):
        return yes_no(value == "True")
    if model_field is not None and getattr(model_field, "choices", None):
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateField) or (model_field is None and _looks_like_date(value)):
        return date(value, context)
    if isinstance(model_field, models.DecimalField) and (amount := _as_decimal(value)) is not None:
        return format_money(amount, context.currency) if "amount" in name else format_number(amount)
    if model_field is None:
        return format_value(name, value, context)
    return readable(value, context)


def _looks_like_date(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None


register_activity_values(
    {
        "from": (_("Before"), text),
        "to": (_("After"), text),
        "amount": (_("Amount"), money),
        "total": (_("Total"), money),
        "open_amount": (_("Still owed"), money),
        "paid_on": (_("Paid on"), date),
        "until": (_("Until"), date),
        "reason": (_("Reason"), text),
        "reference": (_("Reference"), text),
        "name": (_("Name"), text),
        "email": (_("E-mail address"), text),
        "contact": (_("Contact"), text),
        "notify": (_("Receives messages"), lambda value, context: yes_no(value)),
        "file": (_("File"), text),
        "subject": (_("Subject"), text),
        "detail": (_("Detail"), text),
        "prefix": (_("Key prefix"), text),
        "language": (_("Language"), language),
        "format": (_("Format"), lambda value, context: str(value).upper()),
        "rows": (_("Rows"), count),
        "customers": (_("Customers"), count),
        "invoices": (_("Invoices"), count),
        "succeeded": (_("Succeeded"), count),
        "failed": (_("Failed"), count),
        "new": (_("New"), count),
        "updated": (_("Updated"), count),
        "unchanged": (_("Unchanged"), count),
        "skipped": (_("Skipped"), count),
        "filter": (_("Filter"), text),
    }
)


# Timeline kinds --------------------------------------------------------------------------------------------
# Customer and invoice timelines filter by kind. A code belongs to the first kind one of whose prefixes it starts
# with; "changes" is everything else. Apps add their prefixes (`register_activity_kinds`).

TIMELINE_KINDS = [
    ("messages", _("Messages")),
    ("payments", _("Payments")),
    ("notes", _("Notes")),
    ("tasks", _("Tasks")),
    ("changes", _("Changes")),
]
ACTIVITY_KIND_PREFIXES: dict[str, set[str]] = {
    "messages": {
        "invoice.reminder_",
        "invoice.dispatch_",
        "mandate_invitation.",
        "mandate_reminder.",
        "mandate_signed.",
        "pre_notification.",
        "message.",
        "dispatch.",
    },
    "payments": {"invoice.payment_", "invoice.paid", "invoice.debit_returned", "invoice.collection_", "payment."},
    "notes": {"note."},
    "tasks": {"task.", "invoice.follow_up_task_created", "call."},
}


def register_activity_kinds(prefixes: Mapping[str, set[str] | list[str] | tuple[str, ...]]) -> None:
    for kind, codes in prefixes.items():
        ACTIVITY_KIND_PREFIXES.setdefault(kind, set()).update(codes)


def _starts_with_any(prefixes) -> Q:
    condition = Q(pk__in=[])
    for prefix in sorted(prefixes):
        condition |= Q(code__startswith=prefix)
    return condition


def activity_kind_filter(kind: str) -> Q | None:
    """The condition on ActivityLog for one timeline kind; None for an unknown kind (no filter)."""
    if kind in ACTIVITY_KIND_PREFIXES:
        return _starts_with_any(ACTIVITY_KIND_PREFIXES[kind])
    if kind == "changes":
        return ~_starts_with_any(set().union(*ACTIVITY_KIND_PREFIXES.values()))
    return None
