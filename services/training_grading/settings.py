"""Training and grading's settings, read once at start-up: its port, the district, the grading rules, the
training target (people, and the roles that count toward it), how often grades are checked for expiry, and the
district's calendar ("today", the earliest date an assessment may name)."""

from __future__ import annotations

from pydantic import Field

from services.training_grading.domain.grading import GradingRules
from services.training_grading.domain.progress import DEFAULT_TARGET_PEOPLE, DEFAULT_TARGET_ROLES
from shared.contracts.training import Audience
from shared.settings import DistrictSettings, ServiceSettings

NAME = "training-grading"


class TrainingGradingSettings(ServiceSettings):
    """The district's day (completion, assessment, grade expiry) comes from the kernel's calendar
    (`DISTRICT_TIMEZONE`, and `TODAY` for drills)."""

    port: int = Field(default=8084, ge=1, le=65535, validation_alias="TRAINING_GRADING_PORT")
    district: DistrictSettings = Field(default_factory=DistrictSettings)
    grading: GradingRules = Field(default_factory=GradingRules, validation_alias="GRADING_RULES")
    training_target_people: int = Field(default=DEFAULT_TARGET_PEOPLE, ge=1, le=1_000_000,
                                        validation_alias="TRAINING_TARGET_PEOPLE")
    training_target_roles: tuple[Audience, ...] = Field(
        default=DEFAULT_TARGET_ROLES, min_length=1, validation_alias="TRAINING_TARGET_ROLES",
        description="JSON list: the roles whose people count toward the target (leader, finance, social_worker)")
    expiry_check_seconds: float = Field(default=3600.0, gt=0, le=86_400, validation_alias="GRADE_EXPIRY_CHECK_SECONDS")
