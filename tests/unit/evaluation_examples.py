"""Evaluation's decisions as its handlers make them, for tests that start from the JSON an event carries: the
input read as the kernel reads it (`reads` for an award, `intake` for a report), then decided by the domain."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.evaluation.domain import plan, reports
from services.evaluation.domain.contract import Decision, MonitoredContract
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.projections import AwardedContract
from shared.contracts.evaluation import REPORT_REJECTED, ReportSubmitted
from shared.contracts.matching import CONTRACT_AWARDED
from shared.envelope import new_event
from shared.intake import read_event, read_intake
from shared.outcome import Emit


def open_monitoring(existing: MonitoredContract | None, data: dict[str, Any], rules: EvaluationRules) -> Decision:
    """The award read as evaluation reads it (an award that breaks the contract raises Unprocessable), then
    decided."""
    award = read_event(AwardedContract, new_event(CONTRACT_AWARDED, data, source="matching"))
    return plan.open_monitoring(existing, award, rules)


def submit_report(contract: MonitoredContract | None, data: Any, *, report_id: str, today: date,
                  rules: EvaluationRules) -> Decision:
    """The report read as the intake reads it (a bad one is the rejection, the contract unchanged), then decided."""
    report = read_intake(ReportSubmitted, data, rejected=REPORT_REJECTED, echo=("contract_id", "milestone"))
    if isinstance(report, Emit):
        return Decision(contract, (report,))
    return reports.submit_report(contract, report, report_id=report_id, today=today, rules=rules)
