"""The district's calendar, one for every service: its day, its working days, and what "valid on day D" means.

Pure: values in, values out. The clock that says which day it is lives in `shared.clock`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.i18n import _


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def valid_on(valid_until: date | None, day: date) -> bool:
    """Something `valid_until` D holds on D and lapses on D + 1 (DOMAIN.md), in every service."""
    return valid_until is not None and day <= valid_until


EARLIEST_DATE_RULE = "earliest_date"
# Before it a date is a typing error (0001-01-01) or older than civil-affairs registration of social organizations
# in the People's Republic; a district may set its own (DISTRICT_EARLIEST_DATE).
DEFAULT_EARLIEST_DATE = date(1950, 1, 1)


def before_earliest(day: date, earliest: date) -> list[str]:
    """Why `day` may not be named by an input: before the district's earliest date (DISTRICT_EARLIEST_DATE)."""
    if day >= earliest:
        return []
    return [_("must not be before {earliest}, the earliest date the district accepts, got {day} (rule: {rule})").format(
        earliest=earliest.isoformat(), day=day.isoformat(), rule=EARLIEST_DATE_RULE)]


def lapses_on(valid_until: date) -> date:
    """The first day on which something valid until `valid_until` no longer holds."""
    return valid_until + timedelta(days=1)


@dataclass(frozen=True)
class DistrictCalendar:
    """Where the district's day begins, and which days are working days.

    Weekends are not working days, nor are the configured public holidays; a weekend day the State Council
    declares a make-up working day (调休) counts as one when listed in `working_weekends`.
    """

    timezone: str = "Asia/Shanghai"
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_weekends: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, timezone: str, holidays: Iterable[date] = (),
           working_weekends: Iterable[date] = ()) -> DistrictCalendar:
        return cls(timezone, frozenset(holidays), frozenset(working_weekends))

    def day_of(self, moment: datetime) -> date:
        """The district's date at the instant `moment`."""
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (`day` itself not counted); `count` 0 gives `day`."""
        if count < 0:
            raise ValueError("count must not be negative")
        current = day
        while count:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        days, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                days += 1
        return days
