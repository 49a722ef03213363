"""Evaluation's events (CONTRACT.md): the intakes (reports, the purchaser's reviews, appeals and their decisions)
and what evaluation publishes about monitoring, reports, reviews, payments, milestone alerts, evaluations and
appeals. Its reading of `matching.contract.awarded` is its own (services/evaluation/projections.py)."""

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
    model_validator,
)

from shared.contracts.common import Category, Purchaser
from shared.envelope import FieldError
from shared.i18n import _

REPORT_SUBMITTED = "intake.report.submitted"
REPORT_REVIEWED_BY_PURCHASER = "intake.report.reviewed"
EVALUATION_APPEALED = "intake.evaluation.appealed"
APPEAL_DECIDED = "intake.appeal.decided"
MONITORING_OPENED = "evaluation.monitoring.opened"
REPORT_ACCEPTED = "evaluation.report.accepted"
REPORT_REJECTED = "evaluation.report.rejected"
REPORT_REVIEWED = "evaluation.report.reviewed"
PAYMENT_RELEASED = "evaluation.payment.released"
PAYMENT_WITHHELD = "evaluation.payment.withheld"
MILESTONE_OVERDUE = "evaluation.milestone.overdue"
MILESTONE_MET = "evaluation.milestone.met"
CONTRACT_EVALUATED = "evaluation.contract.evaluated"
APPEAL_REGISTERED = "evaluation.appeal.registered"
APPEAL_CLOSED = "evaluation.appeal.closed"

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
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Grounds = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ReportState = Literal["pending", "accepted", "returned"]  # awaiting the purchaser's review, or reviewed


def _json_number(value: Decimal) -> float:
    # Decimal dumps as a JSON string by default; every consumer reads a score or a percentage as a number.
    return float(value)


def _a_number(value: object) -> object:
    """Only JSON numbers: true/false and text are refused, though Python or pydantic would coerce them."""
    is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if not is_number or (isinstance(value, float | Decimal) and not math.isfinite(value)):
        shown = json.dumps(value) if isinstance(value, bool | str | None) else repr(value)
        raise ValueError(_("must be a number between 0 and 100, got {shown}").format(shown=shown))
    return value


def _within_0_to_100(value: Decimal) -> Decimal:
    if not Decimal(0) <= value <= Decimal(100):
        raise ValueError(_("must be between 0 and 100, got {value}").format(value=value))
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
            raise ValueError(_("must not be before period.start ({start})").format(start=start.isoformat()))
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
            raise ValueError(_("must not exceed satisfaction.respondents ({respondents}), got {satisfied}").format(
                respondents=respondents, satisfied=satisfied))
        return satisfied


class Evidence(BaseModel):
    """A document behind a report or a review: its title and where to find it (a URL) or what it is (a hash)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000,
                                          pattern=r"^https?://[^\s]+$")] | None = None
    hash: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                           pattern=r"^(?i:sha256|sm3):[0-9a-fA-F]{64}$")] | None = Field(
        default=None, description="`sha256:<64 hex>` or `sm3:<64 hex>`")

    @model_validator(mode="after")
    def _found_somewhere(self) -> Evidence:
        if self.url is None and self.hash is None:
            raise ValueError(_("a document reference needs a url or a hash (sha256:... or sm3:...)"))
        return self


EvidenceList = Annotated[list[Evidence], Field(max_length=50)]


class ReportSubmitted(BaseModel):
    """`intake.report.submitted`: an organization's report on one milestone of its contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_id: EntityId
    milestone: MilestoneName
    final: StrictBool
    submitted_on: date | None = Field(default=None, description=(
        "the date the sender wrote on the report: kept, never decisive; lateness is judged by the district's "
        "receipt time"))
    indicators: dict[IndicatorName, Percent] = Field(min_length=1, max_length=50)
    satisfaction: Satisfaction
    narrative: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    evidence: EvidenceList = []


class ReviewSubmitted(BaseModel):
    """`intake.report.reviewed`: the purchaser accepts a report (it then counts toward its milestone) or returns
    it to be corrected and submitted again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report_id: EntityId
    reviewer: Purchaser
    accepted: StrictBool
    notes: Notes
    evidence: EvidenceList = []


class AppealLodged(BaseModel):
    """`intake.evaluation.appealed`: the organization asks for its evaluation to be looked at again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_id: EntityId
    grounds: Grounds


class NewScores(BaseModel):
    """The measures (0..100) an upheld appeal sets instead of the computed ones; those not given stay."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicators: Percent | None = None
    satisfaction: Percent | None = None
    timeliness: Percent | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> NewScores:
        if self.indicators is None and self.satisfaction is None and self.timeliness is None:
            raise ValueError(_("name at least one of indicators, satisfaction, timeliness"))
        return self


class AppealDecision(BaseModel):
    """`intake.appeal.decided`: the appeal upheld (with the new scores) or dismissed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_id: EntityId
    upheld: StrictBool
    new_scores: NewScores | None = Field(default=None, validate_default=True)
    reasoning: Notes | None = None

    @field_validator("new_scores")
    @classmethod
    def _scores_follow_the_decision(cls, new_scores: NewScores | None, info: ValidationInfo) -> NewScores | None:
        upheld = info.data.get("upheld")
        if upheld is True and new_scores is None:
            raise ValueError(_("an upheld appeal must give the new scores (indicators, satisfaction or timeliness)"))
        if upheld is False and new_scores is not None:
            raise ValueError(_("a dismissed appeal changes no score: leave new_scores out"))
        return new_scores


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
    """`evaluation.report.accepted`: the report is received and judged (its OCDS status, whether it came late by
    the district's receipt date); it counts toward its milestone once the purchaser accepts it (`review`)."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    contract_id: str
    milestone: str
    revision: int
    status: JudgedStatus
    late: bool
    achievement: Figure
    submitted_on: date  # the district's receipt date
    dated: date | None  # the date the sender wrote
    due_on: date
    final: bool
    review: ReportState
    version: int


class ReportRejected(BaseModel):
    """`evaluation.report.rejected`: every reason a report, a review or an appeal was refused."""

    model_config = ConfigDict(frozen=True)

    contract_id: str | None = None
    milestone: str | None = None
    report_id: str | None = None
    errors: list[FieldError]


class ReportReviewed(BaseModel):
    """`evaluation.report.reviewed`: the purchaser's review of a report, as recorded."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    contract_id: str
    milestone: str
    revision: int
    accepted: bool
    reviewer: Purchaser
    notes: str
    evidence: list[Evidence]
    reviewed_on: date
    status: MilestoneStatus  # the milestone's OCDS status after the review (`scheduled` while it awaits a report)
    version: int


class _Payment(BaseModel):
    model_config = ConfigDict(frozen=True)

    payment_id: str
    contract_id: str
    project_id: str
    org_id: str
    purchaser: Purchaser | None
    category: Category
    milestone: str
    amount_fen: int
    tranche_fen: int
    reason: str


class PaymentReleased(_Payment):
    """`evaluation.payment.released`: money of a milestone's tranche the purchaser pays the organization."""

    released_on: date


class PaymentWithheld(_Payment):
    """`evaluation.payment.withheld`: money of a milestone's tranche that will not be paid, and why."""

    withheld_on: date


class MilestoneOverdue(BaseModel):
    """`evaluation.milestone.overdue`: a milestone's due date passed without a report its purchaser accepted."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    project_id: str
    org_id: str
    purchaser: Purchaser | None
    milestone: str
    due_on: date
    overdue_on: date  # the district's day the service saw it overdue
    awaiting_review: str | None = None  # a report received for it that the purchaser has not reviewed yet


class MilestoneMet(BaseModel):
    """`evaluation.milestone.met`: an overdue milestone is settled at last: its purchaser accepted its report
    (`status` says how well it was delivered)."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    project_id: str
    org_id: str
    milestone: str
    due_on: date
    met_on: date
    days_late: int
    status: JudgedStatus
    report_id: str


class Measure(BaseModel):
    """One part of a score: the measure (0..100), its weight, and the points it contributes (measure * weight / 100).
    A part that is recorded but not scored (too few respondents) has weight 0."""

    model_config = ConfigDict(frozen=True)

    measure: Figure
    weight: Figure
    points: Figure
    scored: bool = True


class ScoreBreakdown(BaseModel):
    """How a score was made; points are shown rounded, so they may differ from the score by 0.01."""

    model_config = ConfigDict(frozen=True)

    indicators: Measure
    satisfaction: Measure
    timeliness: Measure


class PaymentLine(BaseModel):
    """One milestone's share in a payment recommendation, with why it is released or withheld."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    pct: int
    amount_fen: int
    reason: str


class PaymentRecommendation(BaseModel):
    """Which money of the tranches is paid and which is held back; release_fen + withhold_fen is the contract
    amount. The interim tranches are already decided; the final tranche is paid as recommended once the
    evaluation stands (`appeal_until` passed, or an appeal decided)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    release: list[PaymentLine]
    withhold: list[PaymentLine]
    release_fen: int
    withhold_fen: int


class AppealOutcome(BaseModel):
    """The appeal behind a version of an evaluation."""

    model_config = ConfigDict(frozen=True)

    appeal_id: str
    upheld: bool
    lodged_on: date
    decided_on: date
    reasoning: str | None = None


class ContractEvaluated(BaseModel):
    """`evaluation.contract.evaluated`: the contract's score out of 100, its rating and the payment advice; an
    upheld appeal that changes them publishes a new version."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    project_id: str
    org_id: str
    score: Figure
    rating: Rating
    breakdown: ScoreBreakdown
    respondents: int
    insufficient_sample: bool
    payment_recommendation: PaymentRecommendation
    evaluated_on: date
    appeal_until: date
    appeal: AppealOutcome | None = None
    version: int


class AppealRegistered(BaseModel):
    """`evaluation.appeal.registered`: an appeal against an evaluation is open; the final tranche waits for it."""

    model_config = ConfigDict(frozen=True)

    appeal_id: str
    contract_id: str
    grounds: str
    lodged_on: date
    evaluation_version: int


class AppealClosed(BaseModel):
    """`evaluation.appeal.closed`: the appeal upheld or dismissed; `changed` says whether a new version of the
    evaluation was published."""

    model_config = ConfigDict(frozen=True)

    appeal_id: str
    contract_id: str
    upheld: bool
    changed: bool
    score: Figure
    rating: Rating
    decided_on: date
    evaluation_version: int


__all__ = [
    "APPEAL_CLOSED",
    "APPEAL_DECIDED",
    "APPEAL_REGISTERED",
    "CONTRACT_EVALUATED",
    "EVALUATION_APPEALED",
    "MILESTONE_MET",
    "MILESTONE_OVERDUE",
    "MILESTONE_STATUSES",
    "MONITORING_OPENED",
    "PAYMENT_RELEASED",
    "PAYMENT_WITHHELD",
    "RATINGS",
    "REPORT_ACCEPTED",
    "REPORT_REJECTED",
    "REPORT_REVIEWED",
    "REPORT_REVIEWED_BY_PURCHASER",
    "REPORT_SUBMITTED",
    "AppealClosed",
    "AppealDecision",
    "AppealLodged",
    "AppealOutcome",
    "AppealRegistered",
    "ContractEvaluated",
    "ContractPeriod",
    "EntityId",
    "Evidence",
    "Figure",
    "Measure",
    "MilestoneMet",
    "MilestoneName",
    "MilestoneOverdue",
    "MilestoneStatus",
    "MonitoringOpened",
    "NewScores",
    "PaymentLine",
    "PaymentRecommendation",
    "PaymentReleased",
    "PaymentWithheld",
    "Percent",
    "PlannedMilestone",
    "Rating",
    "ReportAccepted",
    "ReportRejected",
    "ReportReviewed",
    "ReportState",
    "ReportSubmitted",
    "ReviewSubmitted",
    "Satisfaction",
    "ScoreBreakdown",
    "Tranche",
    "TranchePct",
]
