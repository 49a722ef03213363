"""Monitoring opened on an award: the contract's milestones, their due dates and the payment tranches.

- milestones are the rules' (default `start`, `mid_term`, `final`; the last one named is the final milestone).
  The first is due `first_due_after_days` (30) after the period starts, never after it ends; the last on the
  period's last day; those between are spread evenly over the period (for three milestones: the midpoint, rounded
  down to a day). A due date is never earlier than the one before it.
- tranches of 30/40/30 % in whole percent, split by largest remainder (`payments.split_by_shares`), so the
  tranches add up to the contract amount exactly.
- a repeated award for a contract already under monitoring changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from services.evaluation.domain.contract import Decision, MonitoredContract
from services.evaluation.domain.payments import split_by_shares
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.projections import AwardedContract
from shared.contracts.evaluation import (
    MONITORING_OPENED,
    ContractPeriod,
    MonitoringOpened,
    PlannedMilestone,
    Tranche,
)
from shared.outcome import Emit


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
    """The tranches of the plan, by largest remainder, adding up to the amount exactly."""
    return split_by_shares(amount_fen, pcts)


def plan_monitoring(award: AwardedContract, rules: EvaluationRules) -> MonitoredContract:
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


def open_monitoring(existing: MonitoredContract | None, award: AwardedContract, rules: EvaluationRules) -> Decision:
    """On `matching.contract.awarded`: open monitoring once; a repeated award changes nothing."""
    if existing is not None:
        return Decision(existing)
    contract = plan_monitoring(award, rules)
    return Decision(contract, (Emit(MONITORING_OPENED, monitoring_opened(contract).model_dump(mode="json")),))


def payment_plan(contract: MonitoredContract) -> list[Tranche]:
    """The contract's tranches, one per milestone, in the plan's order."""
    return [Tranche(milestone=m.name, pct=m.tranche_pct, amount_fen=m.amount_fen) for m in contract.milestones]


def monitoring_opened(contract: MonitoredContract) -> MonitoringOpened:
    return MonitoringOpened(
        contract_id=contract.contract_id,
        project_id=contract.project_id,
        org_id=contract.org_id,
        amount_fen=contract.amount_fen,
        period=contract.period,
        milestones=list(contract.milestones),
        payment_plan=payment_plan(contract),
        version=contract.version,
    )
