"""Evaluation's subscribers and its clock: an award from matching opens monitoring; a report is received (or
refused naming every reason); the purchaser's review accepts it (its tranche is decided, the last one evaluates
the contract) or returns it; an evaluation is appealed and the appeal decided; and the `monitoring-deadlines` job
announces overdue milestones, milestones met again, and the final tranche once an evaluation stands.

Each reads its input (the kernel's `intake`/`reads`), loads the contract, lets `domain` decide, and keeps the
outcome; the kernel runs it in one transaction with the inbox claim and the outbox events.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial

from services.evaluation.domain.appeals import appeal_id_for, decide_appeal, lodge_appeal
from services.evaluation.domain.contract import Decision, MonitoredContract
from services.evaluation.domain.deadlines import announcement_id, on_day
from services.evaluation.domain.plan import open_monitoring
from services.evaluation.domain.reports import report_id_for, submit_report
from services.evaluation.domain.reviews import review_id_for, review_report
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.projections import AwardedContract
from services.evaluation.store import ContractStore, StaleContract
from shared.calendar import DistrictCalendar
from shared.contracts import evaluation as events
from shared.contracts.matching import CONTRACT_AWARDED
from shared.jobs import STEPS_PER_TRANSACTION, JobRun, Step
from shared.subscriptions import LooksUp, Subscriptions, by_id
from shared.unit_of_work import Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evaluation:
    """What evaluation's handlers need: its store, its rules, the district's calendar, how often to check."""

    store: ContractStore
    rules: EvaluationRules
    calendar: DistrictCalendar = field(default_factory=DistrictCalendar)
    deadline_check_seconds: float = 60.0


subscriptions = Subscriptions[Evaluation]()
# The contract an event names by contract_id, read with the batch's (`shared.subscriptions.LooksUp`).
CONTRACT: LooksUp[Evaluation] = by_id(lambda evaluation: evaluation.store.contracts, "contract_id")


async def _keep(evaluation: Evaluation, read: MonitoredContract | None, decision: Decision, tx: Transaction) -> None:
    """Save what the decision changed (if the contract is still as it was read) and queue its events."""
    if read is not None and decision.contract is not None and decision.contract.version != read.version:
        await evaluation.store.save(decision.contract, read.version, tx)
    tx.emit(*decision.events)


@subscriptions.reads(CONTRACT_AWARDED, AwardedContract, looks_up=CONTRACT,
                     description="An award opens monitoring of its contract: milestones and a payment plan, once.")
async def contract_awarded(award: AwardedContract, tx: Transaction, evaluation: Evaluation) -> None:
    existing = await evaluation.store.get(award.contract_id, tx)
    decision = open_monitoring(existing, award, evaluation.rules)
    if existing is None and decision.contract is not None:
        evaluation.store.insert(decision.contract, tx)
    tx.emit(*decision.events)


@subscriptions.intake(events.REPORT_SUBMITTED, events.ReportSubmitted, rejects=events.REPORT_REJECTED,
                      echo=("contract_id", "milestone"), looks_up=CONTRACT,
                      description="A milestone report: received with its OCDS status and whether it came late by the "
                                  "district's receipt date, awaiting the purchaser's review; or rejected naming every "
                                  "bad field.")
async def report_submitted(report: events.ReportSubmitted, tx: Transaction, evaluation: Evaluation) -> None:
    contract = await evaluation.store.get(report.contract_id, tx)
    decision = submit_report(contract, report, report_id=report_id_for(str(tx.event.event_id)), today=tx.today,
                             rules=evaluation.rules)
    await _keep(evaluation, contract, decision, tx)


@subscriptions.intake(events.REPORT_REVIEWED_BY_PURCHASER, events.ReviewSubmitted, rejects=events.REPORT_REJECTED,
                      echo=("report_id",),
                      description="The purchaser's review of a report: accepted (the milestone's tranche is released "
                                  "or withheld; the last milestone evaluates the contract) or returned to be submitted "
                                  "again.")
async def report_reviewed(review: events.ReviewSubmitted, tx: Transaction, evaluation: Evaluation) -> None:
    contract = await evaluation.store.by_report(review.report_id, tx)
    decision = review_report(contract, review, review_id=review_id_for(str(tx.event.event_id)), today=tx.today,
                             rules=evaluation.rules, calendar=evaluation.calendar)
    await _keep(evaluation, contract, decision, tx)


@subscriptions.intake(events.EVALUATION_APPEALED, events.AppealLodged, rejects=events.REPORT_REJECTED,
                      echo=("contract_id",), looks_up=CONTRACT,
                      description="An appeal against an evaluation, within its window; the final tranche waits for "
                                  "the decision.")
async def evaluation_appealed(appeal: events.AppealLodged, tx: Transaction, evaluation: Evaluation) -> None:
    contract = await evaluation.store.get(appeal.contract_id, tx)
    decision = lodge_appeal(contract, appeal, appeal_id=appeal_id_for(str(tx.event.event_id)), today=tx.today)
    await _keep(evaluation, contract, decision, tx)


@subscriptions.intake(events.APPEAL_DECIDED, events.AppealDecision, rejects=events.REPORT_REJECTED,
                      echo=("contract_id",), looks_up=CONTRACT,
                      description="An appeal decided: upheld with new scores (a changed result is a new version of "
                                  "the evaluation) or dismissed; the final tranche is then decided.")
async def appeal_decided(ruling: events.AppealDecision, tx: Transaction, evaluation: Evaluation) -> None:
    contract = await evaluation.store.get(ruling.contract_id, tx)
    decision = decide_appeal(contract, ruling, today=tx.today, rules=evaluation.rules)
    await _keep(evaluation, contract, decision, tx)


@subscriptions.job("monitoring-deadlines", every=lambda evaluation: evaluation.deadline_check_seconds)
async def monitoring_deadlines(run: JobRun, evaluation: Evaluation) -> None:
    """Overdue milestones, milestones met again, and evaluations that stand, for every contract still open."""
    # A group of steps at a time, as the contracts are read (a page at a time), so that however many are due only
    # a group of them waits in memory; a contract a handler changed meanwhile (StaleContract) is left for the next
    # run.
    announced = 0
    due: list[Step] = []
    async for contract in evaluation.store.open_contracts():
        if on_day(contract, run.today, evaluation.rules).events:  # nothing due today: no transaction for it
            due.append(partial(_check_contract, contract.contract_id, evaluation))
        if len(due) == STEPS_PER_TRANSACTION:
            announced += await run.steps(due, skip=(StaleContract,))
            due = []
    announced += await run.steps(due, skip=(StaleContract,))
    if announced:
        log.info("%d deadline announcement(s) on %s", announced, run.today)


async def _check_contract(contract_id: str, evaluation: Evaluation, tx: Transaction) -> int:
    # Read again inside the transaction: a handler, or another replica, may have come first.
    contract = await evaluation.store.get(contract_id, tx)
    if contract is None:
        return 0
    decision = on_day(contract, tx.today, evaluation.rules)
    if decision.contract is not None and decision.contract.version != contract.version:
        await evaluation.store.save(decision.contract, contract.version, tx)
    for event in decision.events:
        tx.emit(event, event_id=announcement_id(event))
    return len(decision.events)


subscriptions.publishes(events.MONITORING_OPENED, events.MonitoringOpened,
                        "A contract is under monitoring: its milestones, due dates and payment tranches.")
subscriptions.publishes(events.REPORT_ACCEPTED, events.ReportAccepted,
                        "A milestone report was received and judged; it awaits the purchaser's review.")
subscriptions.publishes(events.REPORT_REJECTED, events.ReportRejected,
                        "A report, a review or an appeal was refused, with every reason.")
subscriptions.publishes(events.REPORT_REVIEWED, events.ReportReviewed,
                        "The purchaser accepted a report (it counts toward its milestone) or returned it.")
subscriptions.publishes(events.PAYMENT_RELEASED, events.PaymentReleased,
                        "Money of a milestone's tranche is released to the organization (once per tranche).")
subscriptions.publishes(events.PAYMENT_WITHHELD, events.PaymentWithheld,
                        "Money of a milestone's tranche is withheld, and why (once per tranche).")
subscriptions.publishes(events.MILESTONE_OVERDUE, events.MilestoneOverdue,
                        "A milestone's due date passed without a report its purchaser accepted (once).")
subscriptions.publishes(events.MILESTONE_MET, events.MilestoneMet,
                        "An overdue milestone's report was accepted at last (once).")
subscriptions.publishes(events.CONTRACT_EVALUATED, events.ContractEvaluated,
                        "Every milestone's report is accepted: the score, rating and payment recommendation; an "
                        "upheld appeal that changes them publishes a new version.")
subscriptions.publishes(events.APPEAL_REGISTERED, events.AppealRegistered,
                        "An appeal against an evaluation is open.")
subscriptions.publishes(events.APPEAL_CLOSED, events.AppealClosed, "An appeal was upheld or dismissed.")
