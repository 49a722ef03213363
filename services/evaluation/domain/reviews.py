"""The purchaser's review of a report: accepted, it counts toward its milestone and releases or withholds the
milestone's tranche; returned, the milestone waits for the report's next revision.

- only the contract's purchaser reviews its reports ({kind, name} as in the award);
- a report is reviewed once; the same review again (same event) changes nothing;
- a returned report must say what to correct (`notes`);
- an accepted report must rest on evidence: at least one document reference, on the report or on the review;
- accepting the final milestone's report pays nothing yet: the final tranche follows the evaluation once it
  stands (`appeals`, `deadlines`); accepting the last milestone still open evaluates the contract.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.evaluation.domain.contract import Decision, MilestoneReport, MonitoredContract, Review
from services.evaluation.domain.payments import decide_tranche, interim_split
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.domain.scoring import evaluate
from shared.calendar import DistrictCalendar
from shared.contracts.evaluation import (
    CONTRACT_EVALUATED,
    REPORT_REJECTED,
    REPORT_REVIEWED,
    ReportReviewed,
    ReviewSubmitted,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.labels import label
from shared.outcome import Emit, rejected

REVIEW_NAMESPACE = uuid.UUID("a3c95e1b-7f24-4d08-b6e2-1c4f8d7a9e35")


def review_id_for(event_id: str) -> str:
    return str(uuid.uuid5(REVIEW_NAMESPACE, event_id))


def review_report(
    contract: MonitoredContract | None,
    review: ReviewSubmitted,
    *,
    review_id: str,
    today: date,
    rules: EvaluationRules,
    calendar: DistrictCalendar,
) -> Decision:
    """On `intake.report.reviewed`: record the review and what follows from it, or refuse it naming every reason.
    `today` is the district's receipt date of the review."""
    report = contract.report(review.report_id) if contract is not None else None
    if contract is None or report is None:
        message = _("no report {report_id} is known").format(report_id=review.report_id)
        return Decision(contract, (rejected(REPORT_REJECTED, [FieldError(field="report_id", message=message)],
                                            report_id=review.report_id),))
    if report.review is not None and report.review.review_id == review_id:
        return Decision(contract)
    errors = review_errors(contract, report, review)
    if errors:
        return Decision(contract, (rejected(REPORT_REJECTED, errors, report_id=report.report_id,
                                            contract_id=contract.contract_id, milestone=report.milestone),))
    kept = Review(review_id=review_id, reviewer=review.reviewer, accepted=review.accepted, notes=review.notes,
                  evidence=tuple(review.evidence), reviewed_on=today)
    reviewed = _with_review(contract, report, kept)
    events: list[Emit] = []
    if review.accepted and report.milestone != reviewed.final_milestone:
        planned = reviewed.milestone(report.milestone)
        assert planned is not None
        split = interim_split(planned.amount_fen, planned.name, report.status, rules.payments)
        reviewed, paid = decide_tranche(reviewed, report.milestone, split, today)
        events += paid
    events.insert(0, Emit(REPORT_REVIEWED, report_reviewed(reviewed, report.report_id).model_dump(mode="json")))
    if review.accepted and reviewed.every_milestone_accepted and reviewed.evaluation is None:
        reviewed = evaluate(reviewed, rules, calendar, evaluated_on=today)
        assert reviewed.evaluation is not None
        events.append(Emit(CONTRACT_EVALUATED, reviewed.evaluation.model_dump(mode="json")))
    return Decision(reviewed, tuple(events))


def review_errors(contract: MonitoredContract, report: MilestoneReport, review: ReviewSubmitted) -> list[FieldError]:
    """Every reason the review cannot be recorded."""
    errors: list[FieldError] = []
    purchaser = contract.purchaser
    if purchaser is not None and review.reviewer != purchaser:
        message = _("only the contract's purchaser ({kind} {purchaser}) reviews its reports, not {reviewer_kind} "
                    "{reviewer}").format(kind=purchaser.kind, purchaser=purchaser.name,
                                         reviewer_kind=review.reviewer.kind, reviewer=review.reviewer.name)
        errors.append(FieldError(field="reviewer", message=message))
    if report.review is not None:
        message = _("report {report_id} was already {state} by the purchaser on {reviewed_on}").format(
            report_id=report.report_id, state=label(report.state), reviewed_on=report.review.reviewed_on.isoformat())
        errors.append(FieldError(field="report_id", message=message))
    if not review.accepted and not review.notes:
        errors.append(FieldError(field="notes", message=_("a returned report must say what to correct")))
    if review.accepted and not review.evidence and not report.evidence:
        errors.append(FieldError(field="evidence", message=(
            _("an accepted report must rest on evidence: at least one document reference (title and url or hash), "
               "on the report or on the review"))))
    return errors


def _with_review(contract: MonitoredContract, report: MilestoneReport, review: Review) -> MonitoredContract:
    reports = tuple(r.model_copy(update={"review": review}) if r.report_id == report.report_id else r
                    for r in contract.reports)
    milestones = tuple(m.model_copy(update={"status": report.status}) if review.accepted and m.name == report.milestone
                       else m for m in contract.milestones)
    return contract.model_copy(update={"reports": reports, "milestones": milestones, "version": contract.version + 1})


def report_reviewed(contract: MonitoredContract, report_id: str) -> ReportReviewed:
    """What `evaluation.report.reviewed` says about a report's review."""
    report = contract.report(report_id)
    assert report is not None and report.review is not None
    return ReportReviewed(
        report_id=report.report_id,
        contract_id=contract.contract_id,
        milestone=report.milestone,
        revision=report.revision,
        accepted=report.review.accepted,
        reviewer=report.review.reviewer,
        notes=report.review.notes,
        evidence=list(report.review.evidence),
        reviewed_on=report.review.reviewed_on,
        status=contract.status_of(report.milestone),
        version=contract.version,
    )
