"""Amounts and dates read and written as a Benelux finance team does, in each of the four languages."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from localized import context
from localized.dates import DateError, format_date, format_datetime, parse_date
from localized.forms import AmountField, LocalDateField
from localized.money import AmountError, format_money, parse_amount

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [
        ("nl", "10,50", "10.50"),
        ("nl", "1.234,56", "1234.56"),
        ("nl", "1 234,56", "1234.56"),
        ("fr", f"1{NNBSP}234,56", "1234.56"),
        ("de", "1.234.567,8", "1234567.8"),
        ("nl", "10.50", "10.50"),
        ("nl", "1.234", "1234"),
        ("en", "10.50", "10.50"),
        ("en", "1,234.56", "1234.56"),
        ("en", "-12.5", "-12.5"),
    ],
)
def test_an_amount_is_read_as_typed_in_the_readers_language(language, typed, stored):
    assert parse_amount(typed, language=language) == Decimal(stored)


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("en", "10,50", "1,234.56"),
        ("en", "1.234,56", "1,234.56"),
        ("nl", "12a", "1.234,56"),
        ("nl", "1.23.4", "1.234,56"),
    ],
)
def test_an_amount_that_could_be_read_two_ways_is_refused_naming_the_expected_form(language, typed, expected):
    with translation.override("en"), pytest.raises(AmountError) as refusal:
        parse_amount(typed, language=language)
    assert expected in str(refusal.value)


def test_more_decimals_than_cents_are_refused_not_rounded():
    with pytest.raises(AmountError):
        parse_amount("10,505", language="nl")


@pytest.mark.parametrize(
    ("language", "country", "shown"),
    [
        ("nl", "BE", f"€{NBSP}2.219.684,75"),
        ("fr", "BE", f"2{NNBSP}219{NNBSP}684,75{NBSP}€"),
        ("de", "BE", f"2.219.684,75{NBSP}€"),
        ("en", "BE", "€2,219,684.75"),
    ],
)
def test_amounts_are_written_with_currency_grouping_and_separator_of_the_reader(language, country, shown):
    assert format_money(Decimal("2219684.75"), "EUR", language=language, country=country) == shown


def test_the_amount_field_stores_a_typed_decimal_comma_unscaled():
    with translation.override("nl"):
        assert AmountField().clean("10,50") == Decimal("10.50")
    with translation.override("en"):
        with pytest.raises(Exception) as refusal:
            AmountField().clean("10,50")
        assert "1,234.56" in str(refusal.value)


@pytest.mark.parametrize("typed", ["03-12-2026", "3/12/2026", "03.12.2026", "2026-12-03"])
def test_dates_are_read_day_first_or_iso_in_every_language(typed):
    for language in ("nl", "fr", "de", "en"):
        with translation.override(language):
            assert LocalDateField().clean(typed) == dt.date(2026, 12, 3)


def test_an_impossible_date_is_refused():
    with pytest.raises(DateError):
        parse_date("31-02-2026")


def test_dates_are_written_as_the_organizations_country_does():
    day = dt.date(2026, 12, 3)
    assert format_date(day, language="nl", country="BE") == "3/12/2026"
    assert format_date(day, language="en", country="BE") == "03/12/2026"
    assert format_date(day, language="de", country="BE") == "03.12.2026"
    assert format_date(day, language="nl", country="NL") == "03-12-2026"


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        (dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC), "29/03/2026 01:30 CET"),  # before the spring change
        (dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC), "29/03/2026 03:30 CEST"),  # after it
        (dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC), "03/12/2026 09:00 CET"),
    ],
)
def test_times_are_shown_in_the_organizations_zone_around_daylight_saving(instant, shown):
    with context.override(country="BE", time_zone="Europe/Brussels", language="en"):
        assert format_datetime(instant, with_zone=True) == shown


def test_a_job_renders_in_the_zone_it_was_given_not_the_servers():
    instant = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
    with context.override(country="BE", time_zone="Europe/Brussels", language="en"):
        assert format_datetime(instant).endswith("08:00")
    assert timezone.get_current_timezone() == zoneinfo.ZoneInfo("UTC")
