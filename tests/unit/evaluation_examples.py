"""Evaluation's decisions as its handlers make them, for tests that start from the JSON an event carries: the
input read as the kernel reads it (`reads` for an award, `intake` for a report, a review, an appeal and its
decision), then decided by the domain. Also a default contract and its reports, to start a test from."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from services.evaluation.domain import appeals, plan, reports, reviews
from services.evaluation.domain.contract import Decision, MonitoredContract
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.projections import AwardedContract
from shared.calendar import DistrictCalendar
from shared.contracts.evaluation import (
    REPORT_REJECTED,
    AppealDecision,
    AppealLodged,
    ReportSubmitted,
    ReviewSubmitted,
)
from shared.contracts.matching import CONTRACT_AWARDED
from shared.envelope import new_event
from shared.intake import read_event, read_intake
from shared.outcome import Emit

RULES = EvaluationRules()
CALENDAR = DistrictCalendar()
PURCHASER = {"kind": "street", "name": "玉林街道"}
EVIDENCE = [{"title": "服务签到表", "hash": "sha256:" + "ab" * 32}]
# The default plan over 2026: start due 2026-01-31, mid_term 2026-07-02, final 2026-12-31; a final report is
# received from 2026-12-01 (30 days before the end).
DUE = {"start": date(2026, 1, 31), "mid_term": date(2026, 7, 2), "final": date(2026, 12, 31)}
ON_TIME = {"start": date(2026, 1, 20), "mid_term": date(2026, 6, 30), "final": date(2026, 12, 20)}


def award(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": "C-1", "fair_id": "F-1", "project_id": "P-1", "org_id": "O-1", "amount_fen": 1_000_000,
        "fit_score": 80, "title": "助老服务", "category": "助老", "purchaser": PURCHASER, "org_street": "玉林街道",
        "org_community": "黉门街", "period": {"start": "2026-01-01", "end": "2026-12-31"},
    }
    return {**data, **changes}


def open_monitoring(existing: MonitoredContract | None, data: dict[str, Any], rules: EvaluationRules) -> Decision:
    """The award read as evaluation reads it (an award that breaks the contract raises Unprocessable), then
    decided."""
    read = read_event(AwardedContract, new_event(CONTRACT_AWARDED, data, source="matching"))
    return plan.open_monitoring(existing, read, rules)


def monitored(rules: EvaluationRules = RULES, **changes: Any) -> MonitoredContract:
    contract = open_monitoring(None, award(**changes), rules).contract
    assert contract is not None
    return contract


def _read(model: type[BaseModel], data: Any, echo: tuple[str, ...]) -> Any:
    return read_intake(model, data, rejected=REPORT_REJECTED, echo=echo)


def submit_report(contract: MonitoredContract | None, data: Any, *, report_id: str, today: date,
                  rules: EvaluationRules = RULES) -> Decision:
    """The report read as the intake reads it (a bad one is the rejection, the contract unchanged), then decided."""
    report = _read(ReportSubmitted, data, ("contract_id", "milestone"))
    if isinstance(report, Emit):
        return Decision(contract, (report,))
    return reports.submit_report(contract, report, report_id=report_id, today=today, rules=rules)


def review_report(contract: MonitoredContract | None, data: Any, *, review_id: str, today: date,
                  rules: EvaluationRules = RULES) -> Decision:
    review = _read(ReviewSubmitted, data, ("report_id",))
    if isinstance(review, Emit):
        return Decision(contract, (review,))
    return reviews.review_report(contract, review, review_id=review_id, today=today, rules=rules,
                                 calendar=CALENDAR)


def lodge_appeal(contract: MonitoredContract | None, data: Any, *, appeal_id: str, today: date) -> Decision:
    appeal = _read(AppealLodged, data, ("contract_id",))
    if isinstance(appeal, Emit):
        return Decision(contract, (appeal,))
    return appeals.lodge_appeal(contract, appeal, appeal_id=appeal_id, today=today)


def decide_appeal(contract: MonitoredContract | None, data: Any, *, today: date,
                  rules: EvaluationRules = RULES) -> Decision:
    ruling = _read(AppealDecision, data, ("contract_id",))
    if isinstance(ruling, Emit):
        return Decision(contract, (ruling,))
    return appeals.decide_appeal(contract, ruling, today=today, rules=rules)


def report(milestone: str = "start", contract_id: str = "C-1", **changes: Any) -> dict[str, Any]:
    """A report of the milestone: achievement 85.25 (met), 45 of 50 residents satisfied, with evidence."""
    data: dict[str, Any] = {
        "contract_id": contract_id, "milestone": milestone, "final": milestone == "final",
        "indicators": {"attendance_rate": 90, "home_visits_done": 80.5},
        "satisfaction": {"respondents": 50, "satisfied": 45}, "narrative": "按计划完成", "evidence": EVIDENCE,
    }
    return {**data, **changes}


def review(report_id: str, accepted: bool = True, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"report_id": report_id, "reviewer": PURCHASER, "accepted": accepted,
                            "notes": "" if accepted else "签到表缺少第三季度", "evidence": []}
    return {**data, **changes}


def ok(decision: Decision) -> MonitoredContract:
    """The contract after a decision that must not be a refusal."""
    assert not any(e.type == REPORT_REJECTED for e in decision.events), decision.events
    assert decision.contract is not None
    return decision.contract


def delivered(contract: MonitoredContract, milestone: str, *, received: date | None = None,
              reviewed: date | None = None, rules: EvaluationRules = RULES, **changes: Any) -> Decision:
    """The milestone's report received on `received` (on time by default) and accepted by the purchaser on
    `reviewed` (the same day by default); the decision of the review."""
    received = received or ON_TIME[milestone]
    report_id = f"R-{contract.contract_id}-{milestone}-{len(contract.reports_for(milestone)) + 1}"
    submitted = ok(submit_report(contract, report(milestone, contract.contract_id, **changes), report_id=report_id,
                                 today=received, rules=rules))
    reviewer = contract.purchaser.model_dump() if contract.purchaser is not None else PURCHASER
    return review_report(submitted, review(report_id, reviewer=reviewer), review_id=f"V-{report_id}",
                         today=reviewed or received, rules=rules)


def delivered_all(contract: MonitoredContract | None = None, rules: EvaluationRules = RULES,
                  **changes: Any) -> MonitoredContract:
    """Every milestone reported on time and accepted: the contract evaluated."""
    contract = contract or monitored(rules)
    for milestone in [m.name for m in contract.milestones]:
        contract = ok(delivered(contract, milestone, rules=rules, **changes))
    return contract


def events_of(decision: Decision, type_: str) -> list[dict[str, Any]]:
    return [e.data for e in decision.events if e.type == type_]


def errors_of(decision: Decision) -> list[dict[str, str]]:
    [event] = decision.events
    assert event.type == REPORT_REJECTED, decision.events
    errors: list[dict[str, str]] = event.data["errors"]
    return errors
