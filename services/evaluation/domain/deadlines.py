"""What the service's clock finds on a contract on a day (the `monitoring-deadlines` job):

- a milestone whose due date has passed (from the day after it) without a report its purchaser accepted is
  announced `evaluation.milestone.overdue`, once;
- an overdue milestone whose report the purchaser has since accepted is announced `evaluation.milestone.met`,
  once, with the day it was accepted and how many days after its due date that was;
- an evaluation whose appeal window has passed without an appeal stands: its final tranche is decided.

Every announcement has an id derived from what it announces (`announcement_id`), so a job run twice, or on two
replicas, announces each once.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.evaluation.domain.contract import Decision, MilestoneAlert, MonitoredContract
from services.evaluation.domain.payments import decide_tranche, final_split
from services.evaluation.domain.rules import EvaluationRules
from shared.contracts.evaluation import MILESTONE_MET, MILESTONE_OVERDUE, MilestoneMet, MilestoneOverdue
from shared.outcome import Emit

ANNOUNCEMENT_NAMESPACE = uuid.UUID("9c4e2a71-6b3f-4e85-a0d9-3f7b1e5c8a26")


def announcement_id(event: Emit) -> uuid.UUID:
    """The one event id an announcement about a contract's milestone can have."""
    return uuid.uuid5(ANNOUNCEMENT_NAMESPACE, f"{event.type}/{event.data['contract_id']}/{event.data['milestone']}")


def on_day(contract: MonitoredContract, today: date, rules: EvaluationRules) -> Decision:
    """The contract after the clock's checks on `today`, and what they announce (nothing: the same contract)."""
    checked, events = _overdue(contract, today)
    checked, met = _met_again(checked, today)
    checked, paid = _evaluation_stands(checked, today, rules)
    events += met + paid
    if not events and checked == contract:
        return Decision(contract)
    return Decision(checked.model_copy(update={"version": contract.version + 1}), tuple(events))


def _overdue(contract: MonitoredContract, today: date) -> tuple[MonitoredContract, list[Emit]]:
    alerts, events = list(contract.alerts), []
    for m in contract.milestones:
        if m.due_on < today and contract.accepted_report(m.name) is None and contract.alert(m.name) is None:
            alerts.append(MilestoneAlert(milestone=m.name, overdue_on=today))
            pending = contract.pending_report(m.name)
            overdue = MilestoneOverdue(contract_id=contract.contract_id, project_id=contract.project_id,
                                       org_id=contract.org_id, purchaser=contract.purchaser, milestone=m.name,
                                       due_on=m.due_on, overdue_on=today,
                                       awaiting_review=pending.report_id if pending else None)
            events.append(Emit(MILESTONE_OVERDUE, overdue.model_dump(mode="json")))
    return contract.model_copy(update={"alerts": tuple(alerts)}), events


def _met_again(contract: MonitoredContract, today: date) -> tuple[MonitoredContract, list[Emit]]:
    alerts, events = [], []
    for alert in contract.alerts:
        report = contract.accepted_report(alert.milestone)
        planned = contract.milestone(alert.milestone)
        if alert.met_announced_on is None and report is not None and report.review is not None and planned:
            alert = alert.model_copy(update={"met_announced_on": today})
            met_on = report.review.reviewed_on
            met = MilestoneMet(contract_id=contract.contract_id, project_id=contract.project_id,
                               org_id=contract.org_id, milestone=alert.milestone, due_on=planned.due_on, met_on=met_on,
                               days_late=max(0, (met_on - planned.due_on).days), status=report.status,
                               report_id=report.report_id)
            events.append(Emit(MILESTONE_MET, met.model_dump(mode="json")))
        alerts.append(alert)
    return contract.model_copy(update={"alerts": tuple(alerts)}), events


def _evaluation_stands(contract: MonitoredContract, today: date,
                       rules: EvaluationRules) -> tuple[MonitoredContract, list[Emit]]:
    evaluation = contract.evaluation
    if evaluation is None or contract.appeal is not None or today <= evaluation.appeal_until:
        return contract, []
    decided, paid = decide_tranche(contract, contract.final_milestone,
                                   final_split(contract, evaluation.rating, rules.payments), today)
    return decided, list(paid)
