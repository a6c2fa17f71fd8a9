"""When a message may go out: business days and hours in the organization's time zone, never on a
public holiday of the debtor's country. Pure functions; the scheduler asks `next_send_time`.

Times are built from the local calendar date and wall-clock time, then made aware in the zone, so a
09:00 window stays 09:00 local across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})
MAX_DAYS_AHEAD = 370  # a window with no open day within a year is a configuration error


@dataclass(frozen=True)
class SendingWindow:
    zone: ZoneInfo
    weekdays: frozenset[int] = field(default=MONDAY_TO_FRIDAY)
    start: time = time(9, 0)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        if not self.weekdays or self.start >= self.end:
            raise ValueError("A sending window needs at least one weekday and a start before its end.")


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country.upper(), years=year))
    except NotImplementedError:  # a country the package does not know: no holidays rather than no sending
        return frozenset()


def holiday_name(day: date, country: str | None) -> str | None:
    if not country:
        return None
    if day not in _holidays(country, day.year):
        return None
    return holidays.country_holidays(country.upper(), years=day.year).get(day)


def is_sending_day(day: date, window: SendingWindow, country: str | None) -> bool:
    if day.weekday() not in window.weekdays:
        return False
    return not (country and day in _holidays(country, day.year))


def next_send_time(*, at: datetime, window: SendingWindow, country: str | None) -> datetime:
    """The first moment at or after `at` inside the window, for a debtor in `country`."""
    local = at.astimezone(window.zone)
    day = local.date()
    for _ in range(MAX_DAYS_AHEAD):
        if is_sending_day(day, window, country):
            opens = datetime.combine(day, window.start, tzinfo=window.zone)
            closes = datetime.combine(day, window.end, tzinfo=window.zone)
            if local < opens:
                return opens
            if local < closes:
                return local
        day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), tzinfo=window.zone)
    raise ValueError("No sending day within a year; check the sending window.")


def step_send_time(*, due_date: date, offset_days: int, window: SendingWindow, country: str | None) -> datetime:
    """When a plan step for an invoice due on `due_date` goes out: its day at the window's opening, or later."""
    step_day = due_date + timedelta(days=offset_days)
    return next_send_time(
        at=datetime.combine(step_day, window.start, tzinfo=window.zone), window=window, country=country
    )
