"""Grading's event contract (等级评估): assessments submitted to it and the grades it assigns and expires.

Scores are exact decimals (never float) with at most two decimal places. In JSON they travel as numbers: an
integer when whole, else the shortest decimal text (912.5), which a float parses back to the same text.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
)

from shared.contracts.common import GradeCode
from shared.envelope import FieldError
from shared.i18n import _

ASSESSMENT_SUBMITTED = "intake.assessment.submitted"
GRADE_ASSIGNED = "grading.grade.assigned"
GRADE_EXPIRED = "grading.grade.expired"
ASSESSMENT_REJECTED = "grading.assessment.rejected"

INDICATORS: tuple[str, ...] = ("basic_conditions", "internal_governance", "performance", "social_evaluation")

_CENT = Decimal("0.01")


def json_number(value: Decimal) -> int | float:
    """An exact decimal as a JSON number: int when whole; two decimal places survive a float's shortest repr."""
    return int(value) if value == value.to_integral_value() else float(value)


def _not_bool(value: Any) -> Any:
    # pydantic already refuses booleans for Decimal; this keeps the message about the score, not the type system.
    if isinstance(value, bool):
        raise ValueError(_("must be a number, got {value}").format(value=str(value).lower()))
    return value


def _two_places(value: Decimal) -> Decimal:
    if value.quantize(_CENT) != value:
        raise ValueError(_("must have at most 2 decimal places, got {value}").format(value=value))
    return value


def _round_name(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Points = Annotated[
    Decimal,
    BeforeValidator(_not_bool),
    AfterValidator(_two_places),
    PlainSerializer(json_number, return_type=int | float, when_used="json"),
]
Round = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), BeforeValidator(_round_name)
]
OrgId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ScoreSheet(BaseModel):
    """The four indicator groups' points (each group's maximum is the district's grading rule, checked by
    training and grading when it reads a submission)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    basic_conditions: Points
    internal_governance: Points
    performance: Points
    social_evaluation: Points

    @property
    def total(self) -> Decimal:
        return sum((getattr(self, name) for name in INDICATORS), Decimal(0))


class AssessmentSubmitted(BaseModel):
    """`intake.assessment.submitted`: one round's assessment of one organization; `assessed_on` defaults to today."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    org_id: OrgId
    round: Round
    assessed_on: date | None = None
    scores: ScoreSheet


class GradeAssigned(BaseModel):
    """`grading.grade.assigned`: the organization's grade from now on (null below 1A); replaces `supersedes`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    org_id: str
    assessment_id: uuid.UUID
    round: str
    grade: GradeCode | None
    total_score: Points
    scores: ScoreSheet
    assessed_on: date
    valid_until: date | None
    version: int
    supersedes: uuid.UUID | None = None


class GradeExpired(BaseModel):
    """`grading.grade.expired`: the grade's validity ended (it was valid on `valid_until`); it counts as none."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    org_id: str
    assessment_id: uuid.UUID
    grade: GradeCode
    valid_until: date
    version: int


class AssessmentRejected(BaseModel):
    """`grading.assessment.rejected`: every reason (a score above its maximum, registered under two years, ...)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    org_id: str | None = None
    errors: list[FieldError]
