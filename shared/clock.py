"""Which instant it is for a service: the system's clock, or in drill mode a day moved forward by drills.

Drills (Prozorro's sandbox accelerator is the model): with `DISTRICT_CLOCK=drill`, `intake.clock.set {today}`
moves every service's day forward, never back, and each runs its time-driven jobs for the new day before it
confirms. The drill's day is kept in the service's database, so a restart or another replica reads the same day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from shared.calendar import DistrictCalendar
from shared.settings import shifted_to

ClockMode = Literal["system", "drill"]


class DayBackwards(ValueError):
    """A drill asked to move the day back; a drill that must start over restarts the suite."""


class Clock:
    """`now()` in UTC, falling on the district's current day: the real one, `TODAY`, or the drill's."""

    def __init__(self, calendar: DistrictCalendar, *, mode: ClockMode = "system", pinned: date | None = None) -> None:
        self.calendar = calendar
        self.mode = mode
        self.pinned = pinned
        self.drill_day: date | None = None

    @property
    def drills(self) -> bool:
        return self.mode == "drill"

    def now(self) -> datetime:
        return shifted_to(datetime.now(UTC), self.drill_day or self.pinned, self.calendar)

    def today(self) -> date:
        return self.calendar.day_of(self.now())

    def day_of(self, moment: datetime) -> date:
        return self.calendar.day_of(moment)

    def follow(self, day: date | None) -> None:
        """Take the drill's day as stored (by this replica or another); an older one never moves it back."""
        if day is not None and (self.drill_day is None or day > self.drill_day):
            self.drill_day = day

    def check_move(self, day: date) -> None:
        """Refuse a day before the current one (the same day again is allowed: jobs run again, idempotently)."""
        if day < self.today():
            raise DayBackwards(f"the district's date is {self.today().isoformat()}; a drill moves it forward only "
                               f"(to start over, restart the suite)")
