"""Opening hours: schedules, time zones and provincial statutory holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.hours import LOCAL_TIME, OpeningHours, ScheduleError, parse_schedule, status

WEEKDAYS = parse_schedule({"mon-fri": "08:30-16:30"})


def _hours(
    region: str | None, zone: str, categories: tuple[str, ...] = ("public",)
) -> OpeningHours:
    return OpeningHours(WEEKDAYS, zone, region, categories)


def _at(zone: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


def test_schedule_groups_days_and_intervals():
    week = parse_schedule({"mon-wed": "08:30-12:00,13:00-16:30", "sat": "09:00-12:00"})
    assert week[0] == ((510, 720), (780, 990))
    assert week[2] == week[0]
    assert week[3] == ()
    assert week[5] == ((540, 720),)
    assert week[6] == ()


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"monday": "08:00-16:00"}, "monday"),
        ({"fri-mon": "08:00-16:00"}, "fri-mon"),
        ({"mon": "8h-16h"}, "mon"),
        ({"mon": "16:00-08:00"}, "mon"),
        ({"mon": "08:00-12:00,11:00-13:00"}, "mon"),
        ({"mon-fri": "08:00-16:00", "fri": "09:00-10:00"}, "fri"),
        ({"sun": ""}, "sun"),
    ],
)
def test_bad_schedules_name_the_key(spec, key):
    with pytest.raises(ScheduleError) as error:
        parse_schedule(spec)
    assert error.value.key == key


def test_open_now_until_closing_in_local_time():
    hours = _hours("NB", "America/Moncton")
    # 14:00 UTC on a Tuesday is 10:00 in Moncton (UTC-4).
    state = status(hours, dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.timezone.utc))
    assert state.open_now
    assert state.closes_at == _at("America/Moncton", 2026, 11, 24, 16, 30)


def test_closed_after_hours_opens_tomorrow():
    hours = _hours("BC", "America/Vancouver")
    state = status(hours, _at("America/Vancouver", 2026, 11, 24, 17, 0))
    assert not state.open_now
    assert state.opens_at == _at("America/Vancouver", 2026, 11, 25, 8, 30)


def test_provincial_holiday_closes_the_office():
    """Remembrance Day is a statutory holiday in New Brunswick, not in Ontario."""
    moment_nb = _at("America/Moncton", 2026, 11, 11, 10, 0)
    nb = status(_hours("NB", "America/Moncton"), moment_nb)
    assert not nb.open_now
    assert nb.holiday_today == dt.date(2026, 11, 11)
    assert nb.opens_at == _at("America/Moncton", 2026, 11, 12, 8, 30)
    on = status(_hours("ON", "America/Toronto"), _at("America/Toronto", 2026, 11, 11, 10, 0))
    assert on.open_now


def test_federal_office_observes_federal_holidays():
    hours = _hours("ON", "America/Toronto", ("public", "government"))
    state = status(hours, _at("America/Toronto", 2026, 11, 11, 10, 0))
    assert not state.open_now


def test_christmas_week_skips_holidays_and_weekend():
    hours = _hours("ON", "America/Toronto", ("public", "government"))
    state = status(hours, _at("America/Toronto", 2026, 12, 24, 17, 0))
    # Christmas (Fri), the weekend, Boxing Day observed (Mon 28): next is Tuesday.
    assert state.opens_at == _at("America/Toronto", 2026, 12, 29, 8, 30)


def test_holiday_name_in_both_languages():
    hours = _hours("QC", "America/Toronto")
    assert hours.holiday_on(dt.date(2026, 6, 24), "fr") == "Fête nationale du Québec"
    assert hours.holiday_on(dt.date(2026, 6, 24), "en")


def test_no_holiday_region_means_open_on_holidays():
    hours = _hours(None, "America/Toronto")
    assert status(hours, _at("America/Toronto", 2026, 12, 25, 10, 0)).open_now


def test_local_time_hours_are_placed_in_the_callers_zone():
    national = OpeningHours(parse_schedule({"mon-fri": "08:30-16:30"}), LOCAL_TIME)
    nine_am_halifax = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError):
        status(national, nine_am_halifax)
    assert status(national.in_zone("America/Halifax"), nine_am_halifax).open_now
    assert not status(national.in_zone("America/Toronto"), nine_am_halifax).open_now


def test_all_day_schedule():
    hours = OpeningHours(parse_schedule({"mon-sun": "00:00-24:00"}), "America/Regina")
    state = status(hours, _at("America/Regina", 2026, 11, 24, 23, 59))
    assert state.open_now
    assert state.closes_at == _at("America/Regina", 2026, 11, 25, 0, 0)


@given(
    moment=st.datetimes(
        min_value=dt.datetime(2025, 1, 1),
        max_value=dt.datetime(2028, 12, 31),
        timezones=st.just(dt.timezone.utc),
    )
)
def test_status_is_consistent(moment):
    hours = _hours("NS", "America/Halifax", ("public", "government"))
    state = status(hours, moment)
    if state.open_now:
        assert state.closes_at is not None and state.closes_at > moment
    else:
        assert state.opens_at is not None and state.opens_at > moment
        assert state.opens_at - moment < dt.timedelta(days=8)
        assert state.opens_at.weekday() < 5
