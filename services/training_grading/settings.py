"""Training and grading's settings, read once at start-up: its port, the district, the grading rules, the
training target, how often grades are checked for expiry, and the district's calendar ("today")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from pydantic import Field

from services.training_grading.grading import GradingRules
from services.training_grading.progress import DEFAULT_TARGET_PEOPLE
from shared.settings import DistrictSettings, ServiceSettings

NAME = "training-grading"


class TrainingGradingSettings(ServiceSettings):
    """`TODAY` (YYYY-MM-DD) pins the service's calendar day, for drills and tests only: every decision that
    needs today's date (completion day, assessment day, grade expiry) and every event's `occurred_at` then
    reads that day, with the real time of day. Leave it unset in production."""

    port: int = Field(default=8084, ge=1, le=65535, validation_alias="TRAINING_GRADING_PORT")
    district: DistrictSettings = Field(default_factory=DistrictSettings)
    grading: GradingRules = Field(default_factory=GradingRules, validation_alias="GRADING_RULES")
    training_target_people: int = Field(default=DEFAULT_TARGET_PEOPLE, ge=1, le=1_000_000,
                                        validation_alias="TRAINING_TARGET_PEOPLE")
    expiry_check_seconds: float = Field(default=3600.0, gt=0, le=86_400, validation_alias="GRADE_EXPIRY_CHECK_SECONDS")
    # China keeps one offset all year, so a fixed offset is exact: a grade valid until D expires at local midnight.
    utc_offset_hours: int = Field(default=8, ge=-12, le=14, validation_alias="DISTRICT_UTC_OFFSET_HOURS")
    today: date | None = Field(default=None, validation_alias="TODAY")

    @property
    def database(self) -> str:
        """The service's database name (the kernel's rule: prefix + name)."""
        return self.store.database_prefix + NAME.replace("-", "_")

    @property
    def district_timezone(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    def day_of(self, moment: datetime) -> date:
        """The district's calendar day at `moment`."""
        return moment.astimezone(self.district_timezone).date()

    def clock(self) -> datetime:
        """Now, in UTC; with `TODAY` set, moved by whole days so that it falls on that day in the district."""
        now = datetime.now(UTC)
        if self.today is None:
            return now
        return now + timedelta(days=(self.today - self.day_of(now)).days)
