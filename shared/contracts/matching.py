"""Matching's event contract: the fair, interest, schedule and award requests it takes, the complaints against its
awards and their decisions, and what it announces.

Intake models refuse fields they do not know, so a misspelt `price` is reported instead of silently ignored.
Fit scores travel as numbers with two decimals; each comes with its breakdown per factor. An award is announced
as proposed (`matching.award.proposed`), stands still while losing organizations may challenge it, and only then
becomes a contract (`matching.contract.awarded`), unless a complaint is upheld (`matching.award.cancelled`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from shared.contracts.catalog import Period
from shared.contracts.common import Category, Fen, Purchaser
from shared.envelope import FieldError
from shared.i18n import N_, _

FAIR_OPEN_REQUESTED = "intake.fair.opened"
INTEREST_EXPRESSED = "intake.interest.expressed"
SCHEDULE_REQUESTED = "intake.fair.schedule_requested"
AWARDS_REQUESTED = "intake.fair.awards_requested"
COMPLAINT_FILED = "intake.complaint.filed"
COMPLAINT_DECISION = "intake.complaint.decided"

FAIR_OPENED = "matching.fair.opened"
FAIR_SCHEDULED = "matching.fair.scheduled"
FAIR_REJECTED = "matching.fair.rejected"
INTEREST_RECORDED = "matching.interest.recorded"
INTEREST_REJECTED = "matching.interest.rejected"
CONTRACT_AWARDED = "matching.contract.awarded"
PROJECT_UNAWARDED = "matching.project.unawarded"
AWARD_PROPOSED = "matching.award.proposed"
AWARD_CANCELLED = "matching.award.cancelled"
COMPLAINT_REGISTERED = "matching.complaint.registered"
COMPLAINT_REJECTED = "matching.complaint.rejected"
COMPLAINT_DECIDED = "matching.complaint.decided"

Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Statement = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
AwardStatus = Literal["proposed", "challenged", "final", "cancelled"]
FitFactorName = Literal["domain", "locality", "grade", "past_evaluations", "finance_trained", "capacity_left"]
FIT_FACTORS: tuple[FitFactorName, ...] = (
    "domain", "locality", "grade", "past_evaluations", "finance_trained", "capacity_left",
)
MAX_SLOTS = 48  # a fair is one day: 48 slots of 10 minutes is already eight hours of talks


class _Intake(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Outcome(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# --- intake ---------------------------------------------------------------------------------------------


class FairOpenRequested(_Intake):
    """`intake.fair.opened`: hold a matchmaking fair (项目对接会) for one catalog batch."""

    fair_ref: Ref
    batch: Ref
    date: dt.date
    slots: Annotated[StrictInt, Field(ge=1, le=MAX_SLOTS, description="one-to-one meeting slots in the day")]
    slot_minutes: Annotated[StrictInt, Field(ge=5, le=240)]


class InterestExpressed(_Intake):
    """`intake.interest.expressed`: an organization wants a project of the fair, optionally at its own price."""

    fair_id: Ref
    org_id: Ref
    project_id: Ref
    price_fen: Fen | None = None


class ScheduleRequested(_Intake):
    """`intake.fair.schedule_requested`: plan the fair's one-to-one meetings."""

    fair_id: Ref


class AwardsRequested(_Intake):
    """`intake.fair.awards_requested`: award the fair's projects."""

    fair_id: Ref


def _said(rule: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value:
            raise ValueError(_("must say {what} (rule: {rule})").format(what=_(what), rule=rule))
        return value

    return AfterValidator(check)


Grounds = Annotated[Statement, _said("grounds", N_("what in the award is challenged and why"))]
Reasoning = Annotated[Statement, _said("reasoning", N_("why the complaint is upheld or dismissed"))]


class ComplaintFiled(_Intake):
    """`intake.complaint.filed`: an organization that wanted the project challenges its award (质疑), within the
    standstill."""

    award_id: Ref
    org_id: Ref
    grounds: Grounds


class ComplaintDecision(_Intake):
    """`intake.complaint.decided`: the purchaser's answer to a complaint; upheld cancels the award."""

    complaint_id: Ref
    upheld: StrictBool
    reasoning: Reasoning


# --- outcome --------------------------------------------------------------------------------------------


class FitFactor(_Outcome):
    """One factor of a fit score: its raw value (0..1) times its weight gives its points."""

    value: float = Field(ge=0, le=1)
    weight: float = Field(ge=0, le=100)
    points: float = Field(ge=0, le=100)


class Fit(_Outcome):
    """How well an organization fits a project: 0..100, the sum of the factors' points (2 decimals)."""

    score: float = Field(ge=0, le=100)
    breakdown: dict[FitFactorName, FitFactor]


class Invitation(_Outcome):
    """Why an organization is invited: its best fit and the project it fits best."""

    org_id: str
    fit_score: float
    project_id: str


class FairDay(_Outcome):
    """A fair: its id and ref, the batch it offers, its day and its meeting slots."""

    fair_id: str
    fair_ref: str
    batch: str
    date: dt.date
    slots: int
    slot_minutes: int


class FairOpened(FairDay):
    """`matching.fair.opened`: `invited` lists org_ids best fit first (ties by org_id)."""

    invited: list[str]
    invitations: list[Invitation]


class InterestRecorded(_Outcome):
    """`matching.interest.recorded`: the interest, the project's purchaser and the fit when it was expressed."""

    interest_id: str
    fair_id: str
    org_id: str
    project_id: str
    purchaser: Purchaser
    price_fen: int | None = None
    fit_score: float
    breakdown: dict[FitFactorName, FitFactor]


class InterestRejected(_Outcome):
    """`matching.interest.rejected`: every reason, each naming the rule (`(rule: min_grade)`) where one applies."""

    fair_id: str | None = None
    org_id: str | None = None
    project_id: str | None = None
    errors: list[FieldError]


class Meeting(_Outcome):
    """One one-to-one talk (一对一洽谈): an organization at a purchaser's table in a slot (both 1-based)."""

    org_id: str
    purchaser: Purchaser
    slot: int
    table: int
    fit_score: float
    project_ids: list[str]


class UnscheduledMeeting(_Outcome):
    """A requested talk that did not fit in the fair's slots, and why."""

    org_id: str
    purchaser: Purchaser
    fit_score: float
    project_ids: list[str]
    reason: str


class FairScheduled(_Outcome):
    """`matching.fair.scheduled`: meetings by slot then table; `slots_used` <= the fair's `slots`."""

    fair_id: str
    slots: int
    slots_used: int
    meetings: list[Meeting]
    unscheduled: list[UnscheduledMeeting]


class AwardTerms(_Outcome):
    """What an award gives: one project to one organization, at the interest's price or the budget, and why: its
    value is the fit score plus the points its price earns against the budget (`price_points`)."""

    award_id: str
    contract_id: str = Field(description="the contract the award becomes once final (one per fair and project)")
    fair_id: str
    project_id: str
    org_id: str
    amount_fen: int
    budget_fen: int
    fit_score: float
    price_points: float = Field(description="value for money: the price weight times the share of the budget saved")
    value_score: float = Field(description="fit_score + price_points, what the award decision maximises")
    breakdown: dict[FitFactorName, FitFactor]
    title: str
    category: Category
    purchaser: Purchaser
    org_street: str
    org_community: str | None
    period: Period


class AwardProposed(AwardTerms):
    """`matching.award.proposed`: an award announced; it stands still until `standstill_ends` (the last day a
    complaint may be filed) and becomes a contract the day after, unless challenged."""

    proposed_on: dt.date
    standstill_ends: dt.date
    replaces: str | None = Field(default=None, description="the cancelled award this one replaces, if any")


class ContractAwarded(AwardTerms):
    """`matching.contract.awarded`: an award that stood through its standstill is final: the contract."""

    awarded_on: dt.date


class AwardCancelled(_Outcome):
    """`matching.award.cancelled`: an award that will not become a contract, and why."""

    award_id: str
    fair_id: str
    project_id: str
    org_id: str
    reason: str
    cancelled_on: dt.date
    complaint_id: str | None = None
    closed_complaints: list[str] = Field(default_factory=list,
                                         description="other complaints against it, closed with it")


class ComplaintHeard(_Outcome):
    """A complaint as heard: who challenged which award, on what grounds, on which day."""

    complaint_id: str
    award_id: str
    fair_id: str
    project_id: str
    org_id: str
    grounds: str
    filed_on: dt.date


class ComplaintRegistered(ComplaintHeard):
    """`matching.complaint.registered`: the complaint is heard; the award's standstill is suspended until it is
    decided, with `days_left` working days of it to run if the complaint is dismissed."""

    days_left: int


class ComplaintRejected(_Outcome):
    """`matching.complaint.rejected`: a complaint or a decision refused, every reason naming its rule."""

    award_id: str | None = None
    org_id: str | None = None
    complaint_id: str | None = None
    errors: list[FieldError]


class ComplaintDecided(_Outcome):
    """`matching.complaint.decided`: the decision on a complaint and where it leaves the award: dismissed, the
    standstill runs on to `standstill_ends` (or the award is final at once if it had run out); upheld, the award
    is cancelled and the project awarded again (or left unawarded), in the events that follow."""

    complaint_id: str
    award_id: str
    upheld: bool
    reasoning: str
    decided_on: dt.date
    award_status: AwardStatus
    standstill_ends: dt.date | None = None


class ProjectUnawarded(_Outcome):
    """`matching.project.unawarded`: a project of the fair's batch that no organization was awarded, and why; it
    stays published and a later fair of the batch may offer it again."""

    fair_id: str
    project_id: str
    reason: str
    award_id: str | None = Field(default=None, description="the cancelled award that left it without one, if any")


class FairRejected(_Outcome):
    """`matching.fair.rejected`: an open, schedule or awards request refused, with every reason."""

    fair_id: str | None = None
    fair_ref: str | None = None
    errors: list[FieldError]
    contract_ids: list[str] | None = Field(
        default=None, description="on a repeated awards request: the contracts the fair's first awards make")
    award_ids: list[str] | None = Field(
        default=None, description="on a repeated awards request: the awards the fair's first decision proposed")


__all__ = [
    "AWARDS_REQUESTED", "AWARD_CANCELLED", "AWARD_PROPOSED", "COMPLAINT_DECIDED", "COMPLAINT_DECISION",
    "COMPLAINT_FILED", "COMPLAINT_REGISTERED", "COMPLAINT_REJECTED", "CONTRACT_AWARDED", "FAIR_OPENED",
    "FAIR_OPEN_REQUESTED", "FAIR_REJECTED", "FAIR_SCHEDULED", "FIT_FACTORS", "INTEREST_EXPRESSED", "INTEREST_RECORDED",
    "INTEREST_REJECTED", "PROJECT_UNAWARDED", "SCHEDULE_REQUESTED", "AwardCancelled", "AwardProposed", "AwardStatus",
    "AwardTerms", "AwardsRequested", "ComplaintDecided", "ComplaintDecision", "ComplaintFiled", "ComplaintHeard",
    "ComplaintRegistered",
    "ComplaintRejected", "ContractAwarded", "FairDay", "FairOpenRequested", "FairOpened", "FairRejected",
    "FairScheduled", "Fit", "FitFactor", "FitFactorName", "InterestExpressed", "InterestRecorded", "InterestRejected",
    "Invitation", "Meeting", "ProjectUnawarded", "ScheduleRequested", "UnscheduledMeeting",
]
