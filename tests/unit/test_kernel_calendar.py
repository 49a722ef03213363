"""The district's calendar and clock, one for every service: "valid on day D", years, working days, drills."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.calendar import DistrictCalendar, add_years, lapses_on, valid_on
from shared.clock import Clock, DayBackwards

CALENDAR = DistrictCalendar.of("Asia/Shanghai", holidays=[date(2015, 10, 1), date(2015, 10, 2)],
                               working_weekends=[date(2015, 10, 10)])


def test_something_valid_until_a_day_holds_on_that_day_and_lapses_the_next() -> None:
    until = date(2020, 1, 1)
    assert valid_on(until, date(2020, 1, 1))
    assert not valid_on(until, date(2020, 1, 2))
    assert lapses_on(until) == date(2020, 1, 2)


def test_nothing_valid_until_no_day_holds_on_any_day() -> None:
    assert not valid_on(None, date(2015, 1, 1))


@pytest.mark.parametrize(("day", "years", "expected"), [
    (date(2015, 3, 2), 5, date(2020, 3, 2)),
    (date(2016, 2, 29), 1, date(2017, 2, 28)),
    (date(2016, 2, 29), 4, date(2020, 2, 29)),
], ids=["plain", "leap-day-to-common-year", "leap-day-to-leap-year"])
def test_years_are_added_to_the_same_day_and_a_leap_day_becomes_the_28th(day: date, years: int, expected: date) -> None:
    assert add_years(day, years) == expected


def test_seven_working_days_skip_the_weekend() -> None:
    # Monday 2015-03-02: seven working days later is Wednesday 2015-03-11.
    assert CALENDAR.add_working_days(date(2015, 3, 2), 7) == date(2015, 3, 11)


def test_a_standstill_from_a_friday_starts_counting_on_monday() -> None:
    assert CALENDAR.add_working_days(date(2015, 3, 6), 1) == date(2015, 3, 9)


def test_configured_holidays_are_skipped_and_a_make_up_weekend_day_counts() -> None:
    # Monday 28 Sep 2015; 1-2 Oct are holidays (Thu, Fri), Sat 10 Oct is a make-up working day.
    days = [CALENDAR.add_working_days(date(2015, 9, 28), n) for n in range(1, 8)]
    assert days == [date(2015, 9, 29), date(2015, 9, 30), date(2015, 10, 5), date(2015, 10, 6),
                    date(2015, 10, 7), date(2015, 10, 8), date(2015, 10, 9)]
    assert CALENDAR.add_working_days(date(2015, 10, 9), 1) == date(2015, 10, 10)


def test_a_standstill_spanning_a_month_end_counts_across_it() -> None:
    # Thursday 2015-04-30: seven working days later (4 May is a Monday) is Monday 2015-05-11.
    assert CALENDAR.add_working_days(date(2015, 4, 30), 7) == date(2015, 5, 11)


def test_working_days_between_count_the_days_after_the_start_up_to_the_end() -> None:
    assert CALENDAR.working_days_between(date(2015, 3, 2), date(2015, 3, 11)) == 7
    assert CALENDAR.working_days_between(date(2015, 3, 11), date(2015, 3, 2)) == 0


def test_the_district_day_begins_at_midnight_in_its_own_time_zone() -> None:
    assert CALENDAR.day_of(datetime(2015, 3, 1, 16, 0, tzinfo=UTC)) == date(2015, 3, 2)
    assert CALENDAR.day_of(datetime(2015, 3, 1, 15, 59, tzinfo=UTC)) == date(2015, 3, 1)


def test_a_pinned_day_is_the_clock_s_day_with_the_real_time_of_day() -> None:
    clock = Clock(CALENDAR, pinned=date(2015, 3, 2))
    assert clock.today() == date(2015, 3, 2)


def test_a_drill_moves_the_day_forward_and_never_back() -> None:
    clock = Clock(CALENDAR, mode="drill", pinned=date(2015, 3, 2))
    clock.follow(date(2015, 3, 20))
    assert clock.today() == date(2015, 3, 20)
    clock.follow(date(2015, 3, 10))  # an older day, read from another replica: the clock keeps the newer
    assert clock.today() == date(2015, 3, 20)
    clock.check_move(date(2015, 3, 20))  # the same day again is allowed (its jobs run again, idempotently)
    with pytest.raises(DayBackwards, match="forward only"):
        clock.check_move(date(2015, 3, 19))
