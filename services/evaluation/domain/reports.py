"""Milestone reports: received and judged (awaiting the purchaser's review), or refused naming every reason.

- the district's receipt date of a report (the day the service first handled it, the same on every redelivery
  or replay) decides lateness: late when received after its milestone's due date (on the due date is on time).
  The date the sender wrote (`submitted_on`) is kept as written, never decisive; it may not lie in the future of
  the receipt, nor before the contract starts.
- a milestone's status as judged from a report: the report's achievement (mean of its indicators, 2 decimals)
  >= 80 met, >= 50 partiallyMet, below notMet (OCDS milestoneStatus). It counts toward the milestone only once
  the purchaser accepts the report (`reviews`); until then the milestone stays `scheduled`.
- a milestone takes one report at a time: none while one awaits review, none once one is accepted; a returned
  report may be submitted again, as the milestone's next revision.
- `final: true` is for the final milestone only, and the final milestone's report must say `final: true`; it is
  received from the contract's end minus the final-report margin (default 30 days), not earlier.
- the same report again (same report_id) changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from services.evaluation.domain.contract import Decision, MilestoneReport, MonitoredContract
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.domain.scoring import achievement, milestone_status
from shared.contracts.evaluation import REPORT_ACCEPTED, REPORT_REJECTED, ReportAccepted, ReportSubmitted
from shared.envelope import FieldError
from shared.i18n import _
from shared.outcome import Emit, rejected

REPORT_NAMESPACE = uuid.UUID("0b6f3d2e-8c41-4f6a-9e27-5d1a7c9b3e84")


def report_id_for(event_id: str) -> str:
    """A report's id, derived from the event that submitted it, so every delivery of that event names one report."""
    return str(uuid.uuid5(REPORT_NAMESPACE, event_id))


def first_final_report_day(contract: MonitoredContract, rules: EvaluationRules) -> date:
    """The first day a final report is received: the contract's end minus the margin (never before its start)."""
    return max(contract.period.end - timedelta(days=rules.final_report_margin_days), contract.period.start)


def submit_report(
    contract: MonitoredContract | None,
    report: ReportSubmitted,
    *,
    report_id: str,
    today: date,
    rules: EvaluationRules,
) -> Decision:
    """On `intake.report.submitted`: receive the report, judged and awaiting review, or refuse it naming every
    reason. `today` is the district's receipt date."""
    if contract is None or contract.contract_id != report.contract_id:
        message = _("no contract {contract_id} is under monitoring").format(contract_id=report.contract_id)
        return _refuse(contract, report, [FieldError(field="contract_id", message=message)])
    if contract.report(report_id) is not None:
        return Decision(contract)
    errors = report_errors(contract, report, today, rules)
    if errors:
        return _refuse(contract, report, errors)
    recorded = record_report(contract, report, report_id, today, rules)
    return Decision(recorded, (Emit(REPORT_ACCEPTED, report_accepted(recorded, report_id).model_dump(mode="json")),))


def report_errors(contract: MonitoredContract, report: ReportSubmitted, today: date,
                  rules: EvaluationRules) -> list[FieldError]:
    """Every reason a well-formed report does not fit the contract's plan, its reports so far, or the calendar."""
    errors = _milestone_errors(contract, report)
    if report.final and report.milestone == contract.final_milestone:
        first = first_final_report_day(contract, rules)
        if today < first:
            message = (_("a final report is received from {first}, {days} days before the contract ends "
                          "on {end} (final-report margin); this one was received on {today}").format(
                           first=first.isoformat(), days=rules.final_report_margin_days,
                           end=contract.period.end.isoformat(), today=today.isoformat()))
            errors.append(FieldError(field="final", message=message))
    if report.submitted_on is not None:
        if report.submitted_on > today:
            errors.append(FieldError(field="submitted_on", message=(
                _("must not be after the day the district received the report ({today})").format(
                    today=today.isoformat()))))
        if report.submitted_on < contract.period.start:
            start = contract.period.start.isoformat()
            errors.append(FieldError(field="submitted_on", message=_("must not be before the contract starts "
                                                                      "({start})").format(
                                                                       start=start)))
    return errors


def _milestone_errors(contract: MonitoredContract, report: ReportSubmitted) -> list[FieldError]:
    names = [m.name for m in contract.milestones]
    if report.milestone not in names:
        known = ", ".join(names)
        message = _("contract {contract_id} has no milestone {milestone}; its milestones: {known}").format(
            contract_id=contract.contract_id, milestone=report.milestone, known=known)
        return [FieldError(field="milestone", message=message)]
    errors: list[FieldError] = []
    accepted = contract.accepted_report(report.milestone)
    pending = contract.pending_report(report.milestone)
    if accepted is not None and accepted.review is not None:
        message = (_("milestone {milestone} is already met by report {report_id}, accepted by the purchaser on "
                      "{reviewed_on}").format(
                       milestone=report.milestone, report_id=accepted.report_id,
                       reviewed_on=accepted.review.reviewed_on.isoformat()))
        errors.append(FieldError(field="milestone", message=message))
    elif pending is not None:
        message = (_("milestone {milestone} already has report {report_id} (received {submitted_on}) awaiting the "
                      "purchaser's review; submit again only once it is returned").format(
                       milestone=report.milestone, report_id=pending.report_id,
                       submitted_on=pending.submitted_on.isoformat()))
        errors.append(FieldError(field="milestone", message=message))
    final = contract.final_milestone
    if report.final and report.milestone != final:
        message = _("a final report must be for the final milestone {final}, not {milestone}").format(
            final=final, milestone=report.milestone)
        errors.append(FieldError(field="final", message=message))
    if not report.final and report.milestone == final:
        errors.append(
            FieldError(field="final", message=_("the report for the final milestone {final} must have final: "
                                                "true").format(final=final))
        )
    return errors


def record_report(
    contract: MonitoredContract, report: ReportSubmitted, report_id: str, received_on: date, rules: EvaluationRules
) -> MonitoredContract:
    """The contract with the report judged and kept, awaiting the purchaser's review."""
    planned = contract.milestone(report.milestone)
    assert planned is not None
    achieved = achievement(report.indicators)
    received = MilestoneReport(
        report_id=report_id,
        milestone=report.milestone,
        revision=len(contract.reports_for(report.milestone)) + 1,
        submitted_on=received_on,
        dated=report.submitted_on,
        final=report.final,
        indicators=dict(report.indicators),
        achievement=achieved,
        respondents=report.satisfaction.respondents,
        satisfied=report.satisfaction.satisfied,
        status=milestone_status(achieved, rules.thresholds),
        late=received_on > planned.due_on,
        narrative=report.narrative,
        evidence=tuple(report.evidence),
    )
    return contract.model_copy(update={"reports": (*contract.reports, received), "version": contract.version + 1})


def report_accepted(contract: MonitoredContract, report_id: str) -> ReportAccepted:
    """What `evaluation.report.accepted` says about a received report."""
    report = contract.report(report_id)
    assert report is not None
    planned = contract.milestone(report.milestone)
    assert planned is not None
    return ReportAccepted(
        report_id=report.report_id,
        contract_id=contract.contract_id,
        milestone=report.milestone,
        revision=report.revision,
        status=report.status,
        late=report.late,
        achievement=report.achievement,
        submitted_on=report.submitted_on,
        dated=report.dated,
        due_on=planned.due_on,
        final=report.final,
        review=report.state,
        version=contract.version,
    )


def _refuse(contract: MonitoredContract | None, report: ReportSubmitted, errors: list[FieldError]) -> Decision:
    event = rejected(REPORT_REJECTED, errors, contract_id=report.contract_id, milestone=report.milestone)
    return Decision(contract, (event,))
