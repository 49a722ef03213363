"""Evaluation's events (CONTRACT.md): the report intake, and what evaluation publishes about monitoring, reports
and contract evaluations. Its reading of `matching.contract.awarded` is its own (services/evaluation/projections.py)."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from shared.envelope import FieldError

REPORT_SUBMITTED = "intake.report.submitted"
MONITORING_OPENED = "evaluation.monitoring.opened"
REPORT_ACCEPTED = "evaluation.report.accepted"
REPORT_REJECTED = "evaluation.report.rejected"
CONTRACT_EVALUATED = "evaluation.contract.evaluated"

# OCDS 1.1.5 milestoneStatus codelist (closed): a milestone is `scheduled` until its report is judged.
MilestoneStatus = Literal["scheduled", "met", "partiallyMet", "notMet"]
MILESTONE_STATUSES: tuple[str, ...] = ("scheduled", "met", "partiallyMet", "notMet")
JudgedStatus = Literal["met", "partiallyMet", "notMet"]  # what a report earns
Rating = Literal["excellent", "good", "pass", "fail"]
RATINGS: tuple[str, ...] = ("excellent", "good", "pass", "fail")

EntityId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MilestoneName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
IndicatorName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Headcount = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
TranchePct = Annotated[StrictInt, Field(ge=1, le=100)]


def _json_number(value: Decimal) -> float:
    # Decimal dumps as a JSON string by default; every consumer reads a score or a percentage as a number.
    return float(value)


def _a_number(value: object) -> object:
    """Only JSON numbers: true/false and text are refused, though Python or pydantic would coerce them."""
    is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if not is_number or (isinstance(value, float | Decimal) and not math.isfinite(value)):
        shown = json.dumps(value) if isinstance(value, bool | str | None) else repr(value)
        raise ValueError(f"must be a number between 0 and 100, got {shown}")
    return value


def _within_0_to_100(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(100):
        raise ValueError(f"must be between 0 and 100, got {value}")
    return value


# An exact figure (score, measure, percentage) that travels as a JSON number.
Figure = Annotated[Decimal, PlainSerializer(_json_number, return_type=float, when_used="json")]
# A percentage a submitter gives: a real number, 0..100 inclusive.
Percent = Annotated[Figure, BeforeValidator(_a_number), AfterValidator(_within_0_to_100)]


class ContractPeriod(BaseModel):
    """The delivery period of a contract (the project's period), both days inclusive."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    start: date
    end: date

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if isinstance(start, date) and end < start:
            raise ValueError(f"must not be before period.start ({start.isoformat()})")
        return end


class Satisfaction(BaseModel):
    """The resident survey behind a report: how many residents answered and how many said they were satisfied."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    respondents: Headcount
    satisfied: Headcount

    @field_validator("satisfied")
    @classmethod
    def _at_most_respondents(cls, satisfied: int, info: ValidationInfo) -> int:
        respondents = info.data.get("respondents")
        if isinstance(respondents, int) and satisfied > respondents:
            raise ValueError(f"must not exceed satisfaction.respondents ({respondents}), got {satisfied}")
        return satisfied


class ReportSubmitted(BaseModel):
    """`intake.report.submitted`: an organization's report on one milestone of its contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_id: EntityId
    milestone: MilestoneName
    final: StrictBool
    submitted_on: date | None = Field(default=None, description="defaults to the day the report is received")
    indicators: dict[IndicatorName, Percent] = Field(min_length=1, max_length=50)
    satisfaction: Satisfaction
    narrative: Annotated[str, StringConstraints(max_length=10_000)] | None = None


class PlannedMilestone(BaseModel):
    """One milestone of a monitoring plan: when it is due, where it stands, the tranche it unlocks."""

    model_config = ConfigDict(frozen=True)

    name: str
    due_on: date
    status: MilestoneStatus
    tranche_pct: int
    amount_fen: int


class Tranche(BaseModel):
    """One payment of the plan: its milestone, its share of the contract, its exact amount."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    pct: int
    amount_fen: int


class MonitoringOpened(BaseModel):
    """`evaluation.monitoring.opened`: a contract's milestones and payment plan, once per contract."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    project_id: str
    org_id: str
    amount_fen: int
    period: ContractPeriod
    milestones: list[PlannedMilestone]
    payment_plan: list[Tranche]
    version: int


class ReportAccepted(BaseModel):
    """`evaluation.report.accepted`: the milestone's OCDS status as judged from the report, and whether it was late."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    contract_id: str
    milestone: str
    status: JudgedStatus
    late: bool
    achievement: Figure
    submitted_on: date
    due_on: date
    final: bool
    version: int


class ReportRejected(BaseModel):
    """`evaluation.report.rejected`: every reason the report was refused."""

    model_config = ConfigDict(frozen=True)

    contract_id: str | None = None
    milestone: str | None = None
    errors: list[FieldError]


class Measure(BaseModel):
    """One part of a score: the measure (0..100), its weight, and the points it contributes (measure * weight / 100)."""

    model_config = ConfigDict(frozen=True)

    measure: Figure
    weight: int
    points: Figure


class ScoreBreakdown(BaseModel):
    """How a score was made; points are shown rounded, so they may differ from the score by 0.01."""

    model_config = ConfigDict(frozen=True)

    indicators: Measure
    satisfaction: Measure
    timeliness: Measure


class PaymentLine(BaseModel):
    """One tranche in a payment recommendation, with why it is released or withheld."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    pct: int
    amount_fen: int
    reason: str


class PaymentRecommendation(BaseModel):
    """Which tranches to pay and which to hold back; release_fen + withhold_fen is the contract amount."""

    model_config = ConfigDict(frozen=True)

    rule: str
    release: list[PaymentLine]
    withhold: list[PaymentLine]
    release_fen: int
    withhold_fen: int


class ContractEvaluated(BaseModel):
    """`evaluation.contract.evaluated`: the contract's score out of 100, its rating and the payment advice."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    project_id: str
    org_id: str
    score: Figure
    rating: Rating
    breakdown: ScoreBreakdown
    payment_recommendation: PaymentRecommendation
    evaluated_on: date
    version: int


__all__ = [
    "CONTRACT_EVALUATED",
    "MILESTONE_STATUSES",
    "MONITORING_OPENED",
    "RATINGS",
    "REPORT_ACCEPTED",
    "REPORT_REJECTED",
    "REPORT_SUBMITTED",
    "ContractEvaluated",
    "ContractPeriod",
    "EntityId",
    "Figure",
    "Measure",
    "MilestoneName",
    "MilestoneStatus",
    "MonitoringOpened",
    "PaymentLine",
    "PaymentRecommendation",
    "Percent",
    "PlannedMilestone",
    "Rating",
    "ReportAccepted",
    "ReportRejected",
    "ReportSubmitted",
    "Satisfaction",
    "ScoreBreakdown",
    "Tranche",
    "TranchePct",
]
