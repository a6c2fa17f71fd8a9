"""TARGET2 business days: the days on which SEPA direct debits settle.

TARGET2 is closed on Saturdays and Sundays, New Year's Day, Good Friday, Easter Monday, 1 May and
25/26 December (ECB calendar). A requested collection date on a closed day moves to the next open day.
Pure functions: the caller passes the dates.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.easter import easter


def target2_closing_days(year: int) -> frozenset[date]:
    easter_sunday = easter(year)
    return frozenset({
        date(year, 1, 1),
        easter_sunday - timedelta(days=2),  # Good Friday
        easter_sunday + timedelta(days=1),  # Easter Monday
        date(year, 5, 1),
        date(year, 12, 25),
        date(year, 12, 26),
    })  # fmt: skip


def is_target2_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in target2_closing_days(day.year)


def next_target2_business_day(day: date) -> date:
    """`day` itself when TARGET2 is open then, else the next day it is."""
    while not is_target2_business_day(day):
        day += timedelta(days=1)
    return day
