"""A contract under monitoring: its plan, every report with the purchaser's review, the money decided per tranche,
the overdue alerts announced, its evaluation and any appeal; and what a decision about it yields."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

from shared.contracts.common import Category, Purchaser
from shared.contracts.evaluation import (
    ContractEvaluated,
    ContractPeriod,
    Evidence,
    JudgedStatus,
    MilestoneStatus,
    PlannedMilestone,
    ReportState,
)
from shared.outcome import Emit


class Review(BaseModel):
    """The purchaser's review of one report."""

    model_config = ConfigDict(frozen=True)

    review_id: str
    reviewer: Purchaser
    accepted: bool
    notes: str
    evidence: tuple[Evidence, ...] = ()
    reviewed_on: date


class MilestoneReport(BaseModel):
    """A report as received (the district's receipt date decides lateness) and judged, with its review once made.

    A returned report stays on record; the milestone's next report is its next revision."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    milestone: str
    revision: int = 1
    submitted_on: date  # the district's receipt date
    dated: date | None = None  # the date the sender wrote: kept, never decisive
    final: bool
    indicators: dict[str, Decimal]
    achievement: Decimal
    respondents: int
    satisfied: int
    status: JudgedStatus
    late: bool
    narrative: str | None = None
    evidence: tuple[Evidence, ...] = ()
    review: Review | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state(self) -> ReportState:
        if self.review is None:
            return "pending"
        return "accepted" if self.review.accepted else "returned"


PaymentKind = Literal["released", "withheld"]


class Payment(BaseModel):
    """Money of one tranche, released or withheld, once (its id comes from the contract, milestone and kind)."""

    model_config = ConfigDict(frozen=True)

    payment_id: str
    kind: PaymentKind
    amount_fen: int


class TrancheDecision(BaseModel):
    """What one milestone's tranche came to, decided once: the money released and withheld (together exactly the
    tranche), why, and when."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    tranche_fen: int
    payments: tuple[Payment, ...]
    reason: str
    decided_on: date

    def fen(self, kind: PaymentKind) -> int:
        return sum(p.amount_fen for p in self.payments if p.kind == kind)


class MilestoneAlert(BaseModel):
    """A milestone announced overdue, and when it was announced settled again (`evaluation.milestone.met`)."""

    model_config = ConfigDict(frozen=True)

    milestone: str
    overdue_on: date
    met_announced_on: date | None = None


class Appeal(BaseModel):
    """An appeal against an evaluation, open until decided."""

    model_config = ConfigDict(frozen=True)

    appeal_id: str
    grounds: str
    lodged_on: date
    evaluation_version: int
    upheld: bool | None = None
    reasoning: str | None = None
    decided_on: date | None = None


class Measures(BaseModel):
    """The exact measures (0..100) an evaluation's score was made of, kept so that an appeal starts from them and
    not from their rounded display."""

    model_config = ConfigDict(frozen=True)

    indicators: Decimal
    satisfaction: Decimal
    timeliness: Decimal
    satisfaction_scored: bool
    respondents: int


class MonitoredContract(BaseModel):
    """A contract under delivery: its plan, its reports, its money, its alerts, its evaluation and appeal."""

    model_config = ConfigDict(frozen=True)

    contract_id: str
    project_id: str
    org_id: str
    title: str | None = None
    category: Category
    street: str
    community: str | None = None
    purchaser: Purchaser | None = None
    amount_fen: int
    period: ContractPeriod
    milestones: tuple[PlannedMilestone, ...]
    reports: tuple[MilestoneReport, ...] = ()
    tranches: tuple[TrancheDecision, ...] = ()
    alerts: tuple[MilestoneAlert, ...] = ()
    evaluation: ContractEvaluated | None = None
    measures: Measures | None = None
    appeal: Appeal | None = None
    version: int = 1

    @property
    def final_milestone(self) -> str:
        return self.milestones[-1].name

    def milestone(self, name: str) -> PlannedMilestone | None:
        return next((m for m in self.milestones if m.name == name), None)

    def report(self, report_id: str) -> MilestoneReport | None:
        return next((r for r in self.reports if r.report_id == report_id), None)

    def reports_for(self, milestone: str) -> list[MilestoneReport]:
        """Every report of the milestone, oldest revision first."""
        return [r for r in self.reports if r.milestone == milestone]

    def accepted_report(self, milestone: str) -> MilestoneReport | None:
        """The report that counts toward the milestone: the one its purchaser accepted."""
        return next((r for r in self.reports if r.milestone == milestone and r.state == "accepted"), None)

    def pending_report(self, milestone: str) -> MilestoneReport | None:
        return next((r for r in self.reports if r.milestone == milestone and r.state == "pending"), None)

    def accepted_reports(self) -> list[MilestoneReport]:
        """One accepted report per milestone that has one, in the plan's order."""
        return [r for m in self.milestones if (r := self.accepted_report(m.name)) is not None]

    def status_of(self, milestone: str) -> MilestoneStatus:
        report = self.accepted_report(milestone)
        return report.status if report else "scheduled"

    @property
    def every_milestone_accepted(self) -> bool:
        return all(self.accepted_report(m.name) is not None for m in self.milestones)

    def tranche(self, milestone: str) -> TrancheDecision | None:
        return next((t for t in self.tranches if t.milestone == milestone), None)

    def payments(self) -> Iterator[tuple[TrancheDecision, Payment]]:
        for decision in self.tranches:
            for payment in decision.payments:
                yield decision, payment

    def fen(self, kind: PaymentKind) -> int:
        """Money released (or withheld) so far."""
        return sum(t.fen(kind) for t in self.tranches)

    @property
    def due_fen(self) -> int:
        """Money neither released nor withheld yet."""
        return self.amount_fen - self.fen("released") - self.fen("withheld")

    def alert(self, milestone: str) -> MilestoneAlert | None:
        return next((a for a in self.alerts if a.milestone == milestone), None)

    @property
    def closed(self) -> bool:
        """Every tranche decided and every overdue alert answered: nothing is left for the clock to do."""
        return len(self.tranches) == len(self.milestones) and all(a.met_announced_on for a in self.alerts)


@dataclass(frozen=True)
class Decision:
    """The contract after a decision (None if there is none) and the events the decision causes."""

    contract: MonitoredContract | None
    events: tuple[Emit, ...] = ()
