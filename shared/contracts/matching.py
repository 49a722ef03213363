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

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

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
AVAILABILITY_GIVEN = "intake.fair.availability"
MEETING_DECLINE = "intake.meeting.declined"
MEETING_REQUEST = "intake.meeting.requested"
MEETING_LOCK = "intake.meeting.locked"

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
AVAILABILITY_RECORDED = "matching.fair.availability_recorded"
MEETING_DECLINED = "matching.meeting.declined"
MEETING_REQUESTED = "matching.meeting.requested"
MEETING_LOCKED = "matching.meeting.locked"
FAIR_RESCHEDULED = "matching.fair.rescheduled"

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


def _said(rule: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value:
            raise ValueError(_("must say {what} (rule: {rule})").format(what=_(what), rule=rule))
        return value

    return AfterValidator(check)


class FairBreak(_Intake):
    """A pause in the fair's talks: after slot `after_slot` (1-based), `minutes` without meetings."""

    after_slot: Annotated[StrictInt, Field(ge=1, le=MAX_SLOTS)]
    minutes: Annotated[StrictInt, Field(ge=1, le=240)]


class FairOpenRequested(_Intake):
    """`intake.fair.opened`: hold a matchmaking fair (项目对接会) for one catalog batch. The talks start at
    `starts_at` (the district's time zone), one slot after another, with the `breaks` between them."""

    fair_ref: Ref
    batch: Ref
    date: dt.date
    slots: Annotated[StrictInt, Field(ge=1, le=MAX_SLOTS, description="one-to-one meeting slots in the day")]
    slot_minutes: Annotated[StrictInt, Field(ge=5, le=240)]
    starts_at: dt.time = Field(default=dt.time(14, 0), description="when the first slot begins (local time)")
    breaks: list[FairBreak] = Field(default_factory=list, max_length=MAX_SLOTS)

    @model_validator(mode="after")
    def _breaks_inside_the_day(self) -> FairOpenRequested:
        late = [b.after_slot for b in self.breaks if b.after_slot >= self.slots]
        if late:
            raise ValueError(_("a break after slot {slot} is not between two of the fair's {slots} slots").format(
                slot=late[0], slots=self.slots))
        if len({b.after_slot for b in self.breaks}) != len(self.breaks):
            raise ValueError(_("two breaks after the same slot: give one break with their minutes together"))
        end = dt.datetime.combine(dt.date(2000, 1, 1), self.starts_at) + dt.timedelta(
            minutes=self.slots * self.slot_minutes + sum(b.minutes for b in self.breaks))
        if end.date() != dt.date(2000, 1, 1) and end.time() != dt.time(0, 0):
            raise ValueError(_("the fair's slots and breaks run past midnight: a fair is one day"))
        return self


class InterestExpressed(_Intake):
    """`intake.interest.expressed`: an organization wants a project of the fair, optionally at its own price."""

    fair_id: Ref
    org_id: Ref
    project_id: Ref
    price_fen: Fen | None = None


class ScheduleRequested(_Intake):
    """`intake.fair.schedule_requested`: plan the fair's one-to-one meetings; asked again once they are announced,
    plan again around the locked meetings (and, with `keep_announced`, every announced one)."""

    fair_id: Ref
    keep_announced: StrictBool = Field(default=True, description=(
        "on a reschedule, keep every announced meeting where it is unless a decline or availability now forbids it; "
        "False keeps only the locked ones"))


Slot = Annotated[StrictInt, Field(ge=1, le=MAX_SLOTS)]


class Window(_Intake):
    """A stretch of the fair's day (local time): every slot overlapping [start, end) is covered."""

    start: dt.time
    end: dt.time

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(_("end {end} is not after start {start}").format(end=self.end, start=self.start))
        return self


class AvailabilityGiven(_Intake):
    """`intake.fair.availability`: the slots a purchaser's table is away (by number or by clock windows); it
    replaces what the purchaser said before. An empty list says the table is there all day."""

    fair_id: Ref
    purchaser: Purchaser
    unavailable_slots: list[Slot] = Field(default_factory=list, max_length=MAX_SLOTS)
    windows: list[Window] = Field(default_factory=list, max_length=MAX_SLOTS)


class MeetingDecline(_Intake):
    """`intake.meeting.declined`: a purchaser's "no thanks": that organization is never scheduled at its table."""

    fair_id: Ref
    purchaser: Purchaser
    org_id: Ref
    reason: Annotated[Statement, _said("reason", N_("why the meeting is declined"))]


class MeetingRequest(_Intake):
    """`intake.meeting.requested`: one side asks for a meeting, `must` (scheduled first whenever feasible) or
    `want`; a purchaser may ask for an invited organization that expressed no interest in its projects."""

    fair_id: Ref
    purchaser: Purchaser
    org_id: Ref
    priority: Literal["must", "want"]
    requested_by: Literal["purchaser", "organization"] = "purchaser"


class MeetingLock(_Intake):
    """`intake.meeting.locked`: the organiser pins an announced meeting: no reschedule moves or cancels it."""

    fair_id: Ref
    org_id: Ref
    purchaser: Purchaser


class AwardsRequested(_Intake):
    """`intake.fair.awards_requested`: award the fair's projects."""

    fair_id: Ref


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
    """Why an organization is invited: its best fit and the project it fits best, and the projects its seat
    covers (those it can take that need it to reach their coverage)."""

    org_id: str
    fit_score: float
    project_id: str
    covers: list[str] = Field(default_factory=list)


class UncoveredProject(_Outcome):
    """A published project of the batch that has fewer invitees who can take it than the coverage asks, and why."""

    project_id: str
    invitees: int
    reason: str


class FairDay(_Outcome):
    """A fair: its id and ref, the batch it offers, its day, its meeting slots and their clock."""

    fair_id: str
    fair_ref: str
    batch: str
    date: dt.date
    slots: int
    slot_minutes: int
    starts_at: dt.time = dt.time(14, 0)
    breaks: list[FairBreak] = Field(default_factory=list)


class FairOpened(FairDay):
    """`matching.fair.opened`: `invited` lists org_ids best fit first (ties by org_id); every project of the
    batch with an eligible organization has its coverage among them, or is listed in `uncovered` with why."""

    invited: list[str]
    invitations: list[Invitation]
    uncovered: list[UncoveredProject] = Field(default_factory=list)


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


Priority = Literal["must", "want"]


class Meeting(_Outcome):
    """One one-to-one talk (一对一洽谈): an organization at a purchaser's table in a slot (both 1-based), from
    `starts_at` to `ends_at` in the district's time zone; `must` when either side asked for it as a must."""

    org_id: str
    purchaser: Purchaser
    slot: int
    table: int
    fit_score: float
    project_ids: list[str]
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    must: bool = False
    locked: bool = False


class UnscheduledMeeting(_Outcome):
    """A requested talk that did not fit in the fair's slots, and why."""

    org_id: str
    purchaser: Purchaser
    fit_score: float
    project_ids: list[str]
    reason: str
    must: bool = False


class ScheduleObjective(_Outcome):
    """What the schedule achieves, in the order it is optimised: most must-meetings, then most meetings, then the
    greatest total fit (centipoints), then the fewest slots (the last slot used), then the fewest idle gaps."""

    must_meetings: int
    meetings: int
    total_fit_centipoints: int
    slots_used: int
    idle_gaps: int
    proved_optimal: bool


class FairScheduled(_Outcome):
    """`matching.fair.scheduled`: meetings by slot then table; `slots_used` <= the fair's `slots`. `revision`
    counts the plans (1, then one more per reschedule)."""

    fair_id: str
    slots: int
    slots_used: int
    meetings: list[Meeting]
    unscheduled: list[UnscheduledMeeting]
    revision: int = 1
    objective: ScheduleObjective | None = None


class PairNamed(_Outcome):
    """An organization and a purchaser's table at a fair."""

    fair_id: str
    org_id: str
    purchaser: Purchaser


class AvailabilityRecorded(_Outcome):
    """`matching.fair.availability_recorded`: the slots the purchaser's table is away, as kept."""

    fair_id: str
    purchaser: Purchaser
    unavailable_slots: list[int]


class MeetingDeclined(PairNamed):
    """`matching.meeting.declined`: that pair is never scheduled from now on."""

    reason: str


class MeetingRequested(PairNamed):
    """`matching.meeting.requested`: a meeting asked for, as kept (a later request for the pair replaces it)."""

    priority: Priority
    requested_by: Literal["purchaser", "organization"]


class MeetingLocked(PairNamed):
    """`matching.meeting.locked`: the announced meeting pinned where it is."""

    slot: int
    table: int
    starts_at: dt.datetime | None = None


class MovedMeeting(_Outcome):
    """A meeting that now takes place in another slot, and why."""

    meeting: Meeting
    from_slot: int
    reason: str


class CancelledMeeting(_Outcome):
    """An announced meeting that no longer takes place, and why."""

    meeting: Meeting
    reason: str


class AddedMeeting(_Outcome):
    """A meeting that was not announced before, and why it is added now."""

    meeting: Meeting
    reason: str


class FairRescheduled(_Outcome):
    """`matching.fair.rescheduled`: only what changed since the schedule last announced; locked meetings never
    move."""

    fair_id: str
    revision: int
    added: list[AddedMeeting]
    moved: list[MovedMeeting]
    cancelled: list[CancelledMeeting]
    slots_used: int
    objective: ScheduleObjective | None = None


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
    "AVAILABILITY_GIVEN",
    "AVAILABILITY_RECORDED",
    "AWARDS_REQUESTED",
    "AWARD_CANCELLED",
    "AWARD_PROPOSED",
    "COMPLAINT_DECIDED",
    "COMPLAINT_DECISION",
    "COMPLAINT_FILED",
    "COMPLAINT_REGISTERED",
    "COMPLAINT_REJECTED",
    "CONTRACT_AWARDED",
    "FAIR_OPENED",
    "FAIR_OPEN_REQUESTED",
    "FAIR_REJECTED",
    "FAIR_RESCHEDULED",
    "FAIR_SCHEDULED",
    "FIT_FACTORS",
    "INTEREST_EXPRESSED",
    "INTEREST_RECORDED",
    "INTEREST_REJECTED",
    "MEETING_DECLINE",
    "MEETING_DECLINED",
    "MEETING_LOCK",
    "MEETING_LOCKED",
    "MEETING_REQUEST",
    "MEETING_REQUESTED",
    "PROJECT_UNAWARDED",
    "SCHEDULE_REQUESTED",
    "AddedMeeting",
    "AvailabilityGiven",
    "AvailabilityRecorded",
    "AwardCancelled",
    "AwardProposed",
    "AwardStatus",
    "AwardTerms",
    "AwardsRequested",
    "CancelledMeeting",
    "ComplaintDecided",
    "ComplaintDecision",
    "ComplaintFiled",
    "ComplaintHeard",
    "ComplaintRegistered",
    "ComplaintRejected",
    "ContractAwarded",
    "FairBreak",
    "FairDay",
    "FairOpenRequested",
    "FairOpened",
    "FairRejected",
    "FairRescheduled",
    "FairScheduled",
    "Fit",
    "FitFactor",
    "FitFactorName",
    "InterestExpressed",
    "InterestRecorded",
    "InterestRejected",
    "Invitation",
    "Meeting",
    "MeetingDecline",
    "MeetingDeclined",
    "MeetingLock",
    "MeetingLocked",
    "MeetingRequest",
    "MeetingRequested",
    "MovedMeeting",
    "PairNamed",
    "Priority",
    "ProjectUnawarded",
    "ScheduleObjective",
    "ScheduleRequested",
    "UncoveredProject",
    "UnscheduledMeeting",
    "Window",
]
