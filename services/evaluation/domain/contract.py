"""A contract under monitoring (plan, accepted reports, evaluation once the final report is in), and what a
decision about it yields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from shared.contracts.common import Category, Purchaser
from shared.contracts.evaluation import (
    ContractEvaluated,
    ContractPeriod,
    JudgedStatus,
    MilestoneStatus,
    PlannedMilestone,
)
from shared.outcome import Emit


class MilestoneReport(BaseModel):
    """An accepted report: what was submitted and how it was judged."""

    model_config = ConfigDict(frozen=True)

    report_id: str
    milestone: str
    submitted_on: date
    final: bool
    indicators: dict[str, Decimal]
    achievement: Decimal
    respondents: int
    satisfied: int
    status: JudgedStatus
    late: bool
    narrative: str | None = None


class MonitoredContract(BaseModel):
    """A contract under delivery: its plan, its reports, and its evaluation once the final report is in."""

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
    evaluation: ContractEvaluated | None = None
    version: int = 1

    @property
    def final_milestone(self) -> str:
        return self.milestones[-1].name

    def milestone(self, name: str) -> PlannedMilestone | None:
        return next((m for m in self.milestones if m.name == name), None)

    def report_for(self, milestone: str) -> MilestoneReport | None:
        return next((r for r in self.reports if r.milestone == milestone), None)

    def status_of(self, milestone: str) -> MilestoneStatus:
        report = self.report_for(milestone)
        return report.status if report else "scheduled"


@dataclass(frozen=True)
class Decision:
    """The contract after a decision (None if there is none) and the events the decision causes."""

    contract: MonitoredContract | None
    events: tuple[Emit, ...] = ()
