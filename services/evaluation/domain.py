"""Evaluation's rules (监测评估), pure: monitoring opened on an award, milestone reports accepted or refused, and
the contract evaluated after its final report. Each decision takes state and input and returns a `Decision`.

Decisions this module makes (each a default of `EvaluationRules` where it is a number):
- milestones `start`, `mid_term`, `final` (the last one named is the final milestone). The first is due
  `first_due_after_days` (30) after the period starts, never after it ends; the last on the period's last day;
  those between are spread evenly over the period (for three milestones: the midpoint, rounded down to a day).
  A due date is never earlier than the one before it.
- tranches of 30/40/30 % in whole percent; each tranche is the floor of its share in fen, the last takes the
  remainder, so the tranches add up to the contract amount exactly.
- a report is late when submitted after its milestone's due date (on the due date is on time).
- a milestone's status: the report's achievement (mean of its indicators, 2 decimals) >= 80 met, >= 50
  partiallyMet, below notMet (OCDS milestoneStatus; `scheduled` until reported).
- `final: true` is for the final milestone only, and the final milestone's report must say `final: true`.
  Other milestones may be reported in any order (deliveries arrive out of order), but the final report is
  refused until every earlier milestone is reported, because it triggers the evaluation.
- one report per milestone; the same report again (same report_id) changes nothing.
- a repeated award for a contract already under monitoring changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.evaluation.scoring import (
    RatingBands,
    ScoreWeights,
    StatusThresholds,
    TrancheOutcome,
    achievement,
    milestone_status,
    rate,
    recommend_payment,
    score_contract,
)
from shared.contracts.common import Category, Purchaser
from shared.contracts.evaluation import (
    ContractAwarded,
    ContractEvaluated,
    ContractPeriod,
    JudgedStatus,
    MilestoneName,
    MilestoneStatus,
    MonitoringOpened,
    PlannedMilestone,
    ReportAccepted,
    ReportSubmitted,
    Tranche,
    TranchePct,
)
from shared.envelope import FieldError
from shared.outcome import Emit, rejected
from shared.validation import parse

MONITORING_OPENED = "evaluation.monitoring.opened"
MONITORING_REJECTED = "evaluation.monitoring.rejected"
REPORT_ACCEPTED = "evaluation.report.accepted"
REPORT_REJECTED = "evaluation.report.rejected"
CONTRACT_EVALUATED = "evaluation.contract.evaluated"
REPORT_NAMESPACE = uuid.UUID("0b6f3d2e-8c41-4f6a-9e27-5d1a7c9b3e84")


class EvaluationRules(BaseModel):
    """Evaluation's configurable rules; refuses a payment plan that does not fit its milestones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    milestones: tuple[MilestoneName, ...] = Field(default=("start", "mid_term", "final"), min_length=1)
    tranche_pcts: tuple[TranchePct, ...] = (30, 40, 30)
    first_due_after_days: int = Field(default=30, ge=0, le=3650)
    thresholds: StatusThresholds = StatusThresholds()
    weights: ScoreWeights = ScoreWeights()
    ratings: RatingBands = RatingBands()

    @model_validator(mode="after")
    def _plan_fits_milestones(self) -> EvaluationRules:
        if len(set(self.milestones)) != len(self.milestones):
            raise ValueError(f"milestone names must be distinct: {', '.join(self.milestones)}")
        if len(self.tranche_pcts) != len(self.milestones):
            raise ValueError(
                f"{len(self.tranche_pcts)} tranches for {len(self.milestones)} milestones: one tranche per milestone"
            )
        if sum(self.tranche_pcts) != 100:
            raise ValueError(f"tranche percentages must add up to 100, they add up to {sum(self.tranche_pcts)}")
        return self


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


def report_id_for(event_id: str) -> str:
    """A report's id, derived from the event that submitted it, so every delivery of that event names one report."""
    return str(uuid.uuid5(REPORT_NAMESPACE, event_id))


def due_dates(period: ContractPeriod, count: int, first_due_after_days: int) -> list[date]:
    """When each of `count` milestones falls due over the period (rules in the module docstring)."""
    length = (period.end - period.start).days
    dues: list[date] = []
    for i in range(count):
        if i == count - 1:
            due = period.end
        elif i == 0:
            due = min(period.start + timedelta(days=first_due_after_days), period.end)
        else:
            due = period.start + timedelta(days=length * i // (count - 1))
        dues.append(max(due, dues[-1]) if dues else due)
    return dues


def split_into_tranches(amount_fen: int, pcts: tuple[int, ...]) -> list[int]:
    """Each tranche the floor of its share in fen; the last takes the remainder so they add up exactly."""
    amounts = [amount_fen * pct // 100 for pct in pcts[:-1]]
    return [*amounts, amount_fen - sum(amounts)]


def plan_monitoring(award: ContractAwarded, rules: EvaluationRules) -> MonitoredContract:
    """A new contract under monitoring: milestones due over its period, each with its tranche."""
    dues = due_dates(award.period, len(rules.milestones), rules.first_due_after_days)
    amounts = split_into_tranches(award.amount_fen, rules.tranche_pcts)
    milestones = tuple(
        PlannedMilestone(name=name, due_on=due, status="scheduled", tranche_pct=pct, amount_fen=amount)
        for name, due, pct, amount in zip(rules.milestones, dues, rules.tranche_pcts, amounts, strict=True)
    )
    return MonitoredContract(
        contract_id=award.contract_id,
        project_id=award.project_id,
        org_id=award.org_id,
        title=award.title,
        category=award.category,
        street=award.org_street,
        community=award.org_community,
        purchaser=award.purchaser,
        amount_fen=award.amount_fen,
        period=award.period,
        milestones=milestones,
    )


def open_monitoring(existing: MonitoredContract | None, data: Mapping[str, Any], rules: EvaluationRules) -> Decision:
    """On `matching.contract.awarded`: open monitoring once; a repeated award changes nothing."""
    if existing is not None:
        return Decision(existing)
    award = parse(ContractAwarded, data)
    if isinstance(award, list):
        return Decision(None, (rejected(MONITORING_REJECTED, award, contract_id=_given(data, "contract_id")),))
    contract = plan_monitoring(award, rules)
    return Decision(contract, (Emit(MONITORING_OPENED, monitoring_opened(contract).model_dump(mode="json")),))


def monitoring_opened(contract: MonitoredContract) -> MonitoringOpened:
    plan = [Tranche(milestone=m.name, pct=m.tranche_pct, amount_fen=m.amount_fen) for m in contract.milestones]
    return MonitoringOpened(
        contract_id=contract.contract_id,
        project_id=contract.project_id,
        org_id=contract.org_id,
        amount_fen=contract.amount_fen,
        period=contract.period,
        milestones=list(contract.milestones),
        payment_plan=plan,
        version=contract.version,
    )


def submit_report(
    contract: MonitoredContract | None,
    data: Mapping[str, Any],
    *,
    report_id: str,
    today: date,
    rules: EvaluationRules,
) -> Decision:
    """On `intake.report.submitted`: accept the report (and evaluate the contract after the final one) or refuse
    it naming every reason. `today` is the default submission date and the evaluation date."""
    report = parse(ReportSubmitted, data)
    if isinstance(report, list):
        return _refuse(contract, report, data)
    if contract is None or contract.contract_id != report.contract_id:
        message = f"no contract {report.contract_id} is under monitoring"
        return _refuse(contract, [FieldError(field="contract_id", message=message)], data)
    earlier = contract.report_for(report.milestone)
    if earlier is not None and earlier.report_id == report_id:
        return Decision(contract)
    submitted_on = report.submitted_on or today
    errors = report_errors(contract, report, submitted_on, today)
    if errors:
        return _refuse(contract, errors, data)
    recorded = record_report(contract, report, report_id, submitted_on, rules)
    events = [Emit(REPORT_ACCEPTED, report_accepted(recorded, report.milestone).model_dump(mode="json"))]
    if report.final:
        recorded = evaluate(recorded, rules, evaluated_on=today)
        assert recorded.evaluation is not None
        events.append(Emit(CONTRACT_EVALUATED, recorded.evaluation.model_dump(mode="json")))
    return Decision(recorded, tuple(events))


def report_errors(
    contract: MonitoredContract, report: ReportSubmitted, submitted_on: date, today: date
) -> list[FieldError]:
    """Every reason a well-formed report does not fit the contract's plan, its reports so far, or the calendar."""
    errors = _milestone_errors(contract, report)
    if submitted_on > today:
        errors.append(FieldError(field="submitted_on", message=f"must not be after today ({today.isoformat()})"))
    if submitted_on < contract.period.start:
        start = contract.period.start.isoformat()
        errors.append(FieldError(field="submitted_on", message=f"must not be before the contract starts ({start})"))
    return errors


def _milestone_errors(contract: MonitoredContract, report: ReportSubmitted) -> list[FieldError]:
    names = [m.name for m in contract.milestones]
    if report.milestone not in names:
        known = ", ".join(names)
        message = f"contract {contract.contract_id} has no milestone {report.milestone}; its milestones: {known}"
        return [FieldError(field="milestone", message=message)]
    errors: list[FieldError] = []
    earlier = contract.report_for(report.milestone)
    if earlier is not None:
        message = (
            f"milestone {report.milestone} already reported on {earlier.submitted_on} (report {earlier.report_id})"
        )
        errors.append(FieldError(field="milestone", message=message))
    final = contract.final_milestone
    if report.final and report.milestone != final:
        message = f"a final report must be for the final milestone {final}, not {report.milestone}"
        errors.append(FieldError(field="final", message=message))
    if not report.final and report.milestone == final:
        errors.append(
            FieldError(field="final", message=f"the report for the final milestone {final} must have final: true")
        )
    if report.milestone == final:
        missing = [n for n in names[:-1] if contract.report_for(n) is None]
        if missing:
            message = f"every earlier milestone must be reported before the final one; missing: {', '.join(missing)}"
            errors.append(FieldError(field="milestone", message=message))
    return errors


def record_report(
    contract: MonitoredContract, report: ReportSubmitted, report_id: str, submitted_on: date, rules: EvaluationRules
) -> MonitoredContract:
    """The contract with the report judged and added."""
    planned = contract.milestone(report.milestone)
    assert planned is not None
    achieved = achievement(report.indicators)
    accepted = MilestoneReport(
        report_id=report_id,
        milestone=report.milestone,
        submitted_on=submitted_on,
        final=report.final,
        indicators=dict(report.indicators),
        achievement=achieved,
        respondents=report.satisfaction.respondents,
        satisfied=report.satisfaction.satisfied,
        status=milestone_status(achieved, rules.thresholds),
        late=submitted_on > planned.due_on,
        narrative=report.narrative,
    )
    milestones = tuple(
        m.model_copy(update={"status": accepted.status}) if m is planned else m for m in contract.milestones
    )
    update = {"reports": (*contract.reports, accepted), "milestones": milestones, "version": contract.version + 1}
    return contract.model_copy(update=update)


def report_accepted(contract: MonitoredContract, milestone: str) -> ReportAccepted:
    """What `evaluation.report.accepted` says about the milestone's accepted report."""
    report = contract.report_for(milestone)
    planned = contract.milestone(milestone)
    assert report is not None
    assert planned is not None
    return ReportAccepted(
        report_id=report.report_id,
        contract_id=contract.contract_id,
        milestone=report.milestone,
        status=report.status,
        late=report.late,
        achievement=report.achievement,
        submitted_on=report.submitted_on,
        due_on=planned.due_on,
        final=report.final,
        version=contract.version,
    )


def evaluate(contract: MonitoredContract, rules: EvaluationRules, *, evaluated_on: date) -> MonitoredContract:
    """The contract with its evaluation: score, rating, breakdown and payment recommendation."""
    score = score_contract(contract.reports, len(contract.milestones), rules.weights)
    rating = rate(score.total, rules.ratings)
    tranches = [
        TrancheOutcome(
            milestone=m.name,
            pct=m.tranche_pct,
            amount_fen=m.amount_fen,
            status=contract.status_of(m.name),
            final=m.name == contract.final_milestone,
        )
        for m in contract.milestones
    ]
    version = contract.version + 1
    evaluation = ContractEvaluated(
        contract_id=contract.contract_id,
        project_id=contract.project_id,
        org_id=contract.org_id,
        score=score.total,
        rating=rating,
        breakdown=score.breakdown(rules.weights),
        payment_recommendation=recommend_payment(tranches, rating, score.total),
        evaluated_on=evaluated_on,
        version=version,
    )
    return contract.model_copy(update={"evaluation": evaluation, "version": version})


def _refuse(contract: MonitoredContract | None, errors: list[FieldError], data: Mapping[str, Any]) -> Decision:
    event = rejected(
        REPORT_REJECTED, errors, contract_id=_given(data, "contract_id"), milestone=_given(data, "milestone")
    )
    return Decision(contract, (event,))


def _given(data: Mapping[str, Any], key: str) -> str | None:
    """An id the input carried, echoed in a rejection only when it is a plausible string."""
    value = data.get(key) if isinstance(data, Mapping) else None
    return value.strip() if isinstance(value, str) and value.strip() and len(value) <= 100 else None
