from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reminders.calendar import SendingWindow, holiday_name, next_send_time, step_send_time

BRUSSELS = ZoneInfo("Europe/Brussels")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WINDOW = SendingWindow(zone=BRUSSELS)

pytestmark = pytest.mark.smoke


def local(*args, zone=BRUSSELS):
    return datetime(*args, tzinfo=zone)


def test_inside_the_window_sends_now():
    assert next_send_time(at=local(2026, 11, 24, 10, 30), window=WINDOW, country="BE") == local(2026, 11, 24, 10, 30)


def test_before_opening_waits_for_nine():
    assert next_send_time(at=local(2026, 11, 24, 6, 0), window=WINDOW, country="BE") == local(2026, 11, 24, 9, 0)


def test_after_closing_waits_for_the_next_business_morning():
    assert next_send_time(at=local(2026, 11, 24, 17, 0), window=WINDOW, country="BE") == local(2026, 11, 25, 9, 0)


def test_weekend_waits_for_monday():
    saturday = local(2026, 11, 28, 11, 0)
    assert next_send_time(at=saturday, window=WINDOW, country="BE") == local(2026, 11, 30, 9, 0)


def test_belgian_holiday_is_skipped_for_a_belgian_debtor_only():
    armistice = local(2026, 11, 11, 10, 0)  # Wednesday, Armistice Day in Belgium, not in the Netherlands
    assert holiday_name(date(2026, 11, 11), "BE") == "Armistice Day"
    assert next_send_time(at=armistice, window=WINDOW, country="BE") == local(2026, 11, 12, 9, 0)
    assert next_send_time(at=armistice, window=WINDOW, country="NL") == armistice


def test_dutch_kings_day_and_christmas_run():
    window = SendingWindow(zone=AMSTERDAM)
    kings_day = local(2026, 4, 27, 9, 0, zone=AMSTERDAM)  # Monday
    assert next_send_time(at=kings_day, window=window, country="NL") == local(2026, 4, 28, 9, 0, zone=AMSTERDAM)
    christmas_eve_evening = local(2026, 12, 24, 18, 0, zone=AMSTERDAM)  # then 25, 26 (Sat), 27 (Sun)
    assert next_send_time(at=christmas_eve_evening, window=window, country="NL") == local(
        2026, 12, 28, 9, 0, zone=AMSTERDAM
    )


def test_nine_oclock_stays_nine_oclock_across_daylight_saving_changes():
    # Summer time ends on Sunday 25 October 2026: 09:00 is 07:00 UTC before, 08:00 UTC after.
    before = step_send_time(due_date=date(2026, 10, 23), offset_days=0, window=WINDOW, country="BE")
    after = step_send_time(due_date=date(2026, 10, 23), offset_days=3, window=WINDOW, country="BE")
    assert before.astimezone(ZoneInfo("UTC")).time() == time(7, 0)
    assert after.astimezone(ZoneInfo("UTC")).time() == time(8, 0)
    assert after.astimezone(BRUSSELS).time() == time(9, 0)


def test_negative_offsets_send_before_the_due_date():
    # Three days before a due date of Monday 30 November is Friday 27 November.
    assert step_send_time(due_date=date(2026, 11, 30), offset_days=-3, window=WINDOW, country="BE") == local(
        2026, 11, 27, 9, 0
    )


def test_times_given_in_utc_are_read_in_the_organizations_zone():
    late_utc = datetime(2026, 11, 24, 16, 30, tzinfo=ZoneInfo("UTC"))  # 17:30 in Brussels: closed
    assert next_send_time(at=late_utc, window=WINDOW, country="BE") == local(2026, 11, 25, 9, 0)


def test_an_unknown_country_has_no_holidays_rather_than_no_sending():
    assert next_send_time(at=local(2026, 11, 11, 10, 0), window=WINDOW, country="ZZ") == local(2026, 11, 11, 10, 0)


def test_an_impossible_window_is_refused():
    with pytest.raises(ValueError):
        SendingWindow(zone=BRUSSELS, weekdays=frozenset())
    with pytest.raises(ValueError):
        SendingWindow(zone=BRUSSELS, start=time(17, 0), end=time(9, 0))
