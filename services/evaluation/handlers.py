"""Evaluation's subscribers: an award from matching opens monitoring; a report from outside is accepted (and, the
final one, evaluates the contract) or refused naming every reason.

Each reads its input (the kernel's `intake`/`reads`), loads the contract, lets `domain` decide, and keeps the
outcome; the kernel runs it in one transaction with the inbox claim and the outbox events.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.evaluation.domain.plan import open_monitoring
from services.evaluation.domain.reports import report_id_for, submit_report
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.projections import AwardedContract
from services.evaluation.store import ContractStore
from shared.contracts import evaluation as events
from shared.contracts.matching import CONTRACT_AWARDED
from shared.subscriptions import Subscriptions
from shared.unit_of_work import Transaction


@dataclass(frozen=True)
class Evaluation:
    """What evaluation's handlers need: its store and its rules."""

    store: ContractStore
    rules: EvaluationRules


subscriptions = Subscriptions[Evaluation]()


@subscriptions.reads(CONTRACT_AWARDED, AwardedContract,
                     description="An award opens monitoring of its contract: milestones and a payment plan, once.")
async def contract_awarded(award: AwardedContract, tx: Transaction, evaluation: Evaluation) -> None:
    existing = await evaluation.store.get(award.contract_id, tx)
    decision = open_monitoring(existing, award, evaluation.rules)
    if existing is None and decision.contract is not None:
        evaluation.store.insert(decision.contract, tx)
    tx.emit(*decision.events)


@subscriptions.intake(events.REPORT_SUBMITTED, events.ReportSubmitted, rejects=events.REPORT_REJECTED,
                      echo=("contract_id", "milestone"),
                      description="A milestone report: accepted with its OCDS status and late marking, or rejected "
                                  "naming every bad field; the final report evaluates the contract.")
async def report_submitted(report: events.ReportSubmitted, tx: Transaction, evaluation: Evaluation) -> None:
    contract = await evaluation.store.get(report.contract_id, tx)
    decision = submit_report(contract, report, report_id=report_id_for(str(tx.event.event_id)), today=tx.today,
                             rules=evaluation.rules)
    if contract is not None and decision.contract is not None and decision.contract.version != contract.version:
        await evaluation.store.save(decision.contract, contract.version, tx)
    tx.emit(*decision.events)


subscriptions.publishes(events.MONITORING_OPENED, events.MonitoringOpened,
                        "A contract is under monitoring: its milestones, due dates and payment tranches.")
subscriptions.publishes(events.REPORT_ACCEPTED, events.ReportAccepted, "A milestone report was accepted and judged.")
subscriptions.publishes(events.REPORT_REJECTED, events.ReportRejected,
                        "A milestone report was refused, with every reason.")
subscriptions.publishes(events.CONTRACT_EVALUATED, events.ContractEvaluated,
                        "A contract's final report is in: its score, rating and payment recommendation.")
