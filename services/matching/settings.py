"""Matching's settings, read once at start-up: its port, the district's purchasers (the fair's table order) and
every matching rule (`MATCHING_RULES`, JSON: eligibility, fit, and the awards' price weight and standstill). The
day eligibility is judged on is the kernel's district calendar (`DISTRICT_TIMEZONE`, `TODAY` for drills), read by
each handler as `tx.today`; its working days (`DISTRICT_HOLIDAYS`, `DISTRICT_WORKING_WEEKENDS`) count an award's
standstill, which the standstill job checks every `STANDSTILL_CHECK_SECONDS`."""

from __future__ import annotations

from typing import Final

from pydantic import Field

from services.matching.domain.fairs import MatchingRules
from services.matching.domain.schedule import district_tables
from shared.contracts.common import Purchaser
from shared.settings import DistrictSettings, ServiceSettings

NAME: Final = "matching"


class MatchingSettings(ServiceSettings):
    """`MATCHING_RULES` is a JSON object of `MatchingRules`, e.g. `{"invite_limit": 30, "fit": {"weights":
    {"domain": 30, "locality": 15, ...}}, "award": {"price_weight": 10, "standstill_working_days": 7}}`; a key it
    does not know, or weights that do not sum to 100, stop the service at start-up saying which."""

    port: int = Field(default=8083, ge=1, le=65535, validation_alias="MATCHING_PORT")
    district: DistrictSettings = Field(default_factory=DistrictSettings)
    rules: MatchingRules = Field(default_factory=MatchingRules, validation_alias="MATCHING_RULES")
    # An award's standstill ends on a day; a drill moving the day runs the job at once, whatever this says.
    standstill_check_seconds: float = Field(default=60.0, gt=0, le=3600, validation_alias="STANDSTILL_CHECK_SECONDS")

    @property
    def tables(self) -> list[Purchaser]:
        """The fair's purchaser tables in order: the district's streets, then its departments."""
        return district_tables(self.district.streets, self.district.departments)
