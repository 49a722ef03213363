"""Milestone reports: accepted (judged, marked late) or refused naming every reason; the final one evaluates the
contract.

- a report is late when submitted after its milestone's due date (on the due date is on time); one without a
  submission date counts as submitted the day it was received.
- a milestone's status: the report's achievement (mean of its indicators, 2 decimals) >= 80 met, >= 50
  partiallyMet, below notMet (OCDS milestoneStatus; `scheduled` until reported).
- `final: true` is for the final milestone only, and the final milestone's report must say `final: true`.
  Other milestones may be reported in any order (deliveries arrive out of order), but the final report is
  refused until every earlier milestone is reported, because it triggers the evaluation.
- one report per milestone; the same report again (same report_id) changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.evaluation.domain.contract import Decision, MilestoneReport, MonitoredContract
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.domain.scoring import achievement, evaluate, milestone_status
from shared.contracts.evaluation import (
    CONTRACT_EVALUATED,
    REPORT_ACCEPTED,
    REPORT_REJECTED,
    ReportAccepted,
    ReportSubmitted,
)
from shared.envelope import FieldError
from shared.outcome import Emit, rejected

REPORT_NAMESPACE = uuid.UUID("0b6f3d2e-8c41-4f6a-9e27-5d1a7c9b3e84")


def report_id_for(event_id: str) -> str:
    """A report's id, derived from the event that submitted it, so every delivery of that event names one report."""
    return str(uuid.uuid5(REPORT_NAMESPACE, event_id))


def submit_report(
    contract: MonitoredContract | None,
    report: ReportSubmitted,
    *,
    report_id: str,
    today: date,
    rules: EvaluationRules,
) -> Decision:
    """On `intake.report.submitted`: accept the report (and evaluate the contract after the final one) or refuse
    it naming every reason. `today` is the default submission date and the evaluation date."""
    if contract is None or contract.contract_id != report.contract_id:
        message = f"no contract {report.contract_id} is under monitoring"
        return _refuse(contract, report, [FieldError(field="contract_id", message=message)])
    earlier = contract.report_for(report.milestone)
    if earlier is not None and earlier.report_id == report_id:
        return Decision(contract)
    submitted_on = report.submitted_on or today
    errors = report_errors(contract, report, submitted_on, today)
    if errors:
        return _refuse(contract, report, errors)
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


def _refuse(contract: MonitoredContract | None, report: ReportSubmitted, errors: list[FieldError]) -> Decision:
    event = rejected(REPORT_REJECTED, errors, contract_id=report.contract_id, milestone=report.milestone)
    return Decision(contract, (event,))
