"""Dates and times as the organization's country writes them, in its time zone, in the reader's language.

Stored values are UTC; `format_datetime` converts to the active zone (the organization's, activated by the
middleware for pages and by `localized.context.override` in jobs) before formatting.
"""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from django.utils import timezone
from django.utils.translation import gettext as _

from localized.locales import date_locale

_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class DateError(ValueError):
    """Not a date; `str(error)` says which forms are accepted."""


def date_pattern(language: str | None = None, country: str | None = None) -> str:
    """The country's numeric date with a four-digit year: `d/MM/y` (nl-BE), `dd.MM.y` (de), `dd/MM/y` (en-BE)."""
    pattern = date_locale(language, country).date_formats["short"].pattern
    return re.sub(r"(?<!y)yy(?!y)", "y", pattern)


def input_placeholder() -> str:
    """What a date field shows empty, in the reader's words: `dd-mm-jjjj`, `jj-mm-aaaa`, `TT-MM-JJJJ`."""
    return _("dd-mm-yyyy")


def format_date(value: dt.date | dt.datetime | None, *, style: str = "short", language=None, country=None) -> str:
    """`03/12/2026` (short), `3 dec. 2026` (medium) or `3 december 2026` (long); a datetime is taken locally."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    locale = date_locale(language, country)
    pattern = date_pattern(language, country) if style == "short" else style
    return babel_format_date(value, format=pattern, locale=locale)


def format_time(value: dt.datetime | dt.time | None, *, language=None, country=None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return babel_format_time(value, format="HH:mm", locale=date_locale(language, country))


def zone_label(value: dt.datetime | None = None) -> str:
    """The active zone's short name at that instant: `CET` or `CEST` (winter or summer time)."""
    moment = timezone.localtime(value or timezone.now())
    return moment.tzname() or str(timezone.get_current_timezone())


def format_datetime(value: dt.datetime | None, *, with_zone: bool = False, language=None, country=None) -> str:
    """`03/12/2026 10:16` in the active time zone, with `CET` after it when asked."""
    if value is None or value == "":
        return ""
    day = format_date(value, language=language, country=country)
    text = f"{day} {format_time(value, language=language, country=country)}"
    return f"{text} {zone_label(value)}" if with_zone and timezone.is_aware(value) else text


def parse_date(text: str | dt.date | None) -> dt.date | None:
    """`03-12-2026`, `3/12/2026`, `03.12.2026` (day first, as in Europe) or ISO `2026-12-03`; None when blank."""
    if text is None or isinstance(text, dt.date):
        return text
    raw = str(text).strip()
    if not raw:
        return None
    if match := _ISO.match(raw):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.match(raw):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise DateError(_("Enter a date such as 31-12-2026 (day, month, year)."))
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise DateError(_("%(text)s is not a date in the calendar.") % {"text": raw}) from error
