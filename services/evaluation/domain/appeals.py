"""Corrections: an evaluation appealed within its window, and the appeal decided.

- an appeal is received up to and including the evaluation's `appeal_until` (the configured number of working
  days after the evaluation, default 7), once per evaluation; while it is open the final tranche waits;
- an upheld appeal sets the measures it names (indicators, satisfaction, timeliness; a satisfaction measure the
  appeal sets is scored whatever the sample), and the score and rating follow under the same weights, bands and
  cap; a result that changes is published as a new version of `evaluation.contract.evaluated`;
- a dismissed appeal changes nothing; either way the evaluation then stands and the final tranche is decided.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.evaluation.domain.contract import Appeal, Decision, Measures, MonitoredContract
from services.evaluation.domain.payments import decide_tranche, final_split
from services.evaluation.domain.rules import EvaluationRules
from services.evaluation.domain.scoring import evaluation_of, weighted_score
from shared.contracts.evaluation import (
    APPEAL_CLOSED,
    APPEAL_REGISTERED,
    CONTRACT_EVALUATED,
    REPORT_REJECTED,
    AppealClosed,
    AppealDecision,
    AppealLodged,
    AppealRegistered,
    ContractEvaluated,
    NewScores,
)
from shared.envelope import FieldError
from shared.i18n import _
from shared.labels import label
from shared.outcome import Emit, rejected

APPEAL_NAMESPACE = uuid.UUID("e71b0c58-3d9a-4f62-8b14-6a2e5c9d0f83")


def appeal_id_for(event_id: str) -> str:
    return str(uuid.uuid5(APPEAL_NAMESPACE, event_id))


def lodge_appeal(contract: MonitoredContract | None, appeal: AppealLodged, *, appeal_id: str,
                 today: date) -> Decision:
    """On `intake.evaluation.appealed`: open the appeal, or refuse it naming the rule."""
    errors = _lodging_errors(contract, appeal, appeal_id, today)
    if contract is not None and contract.appeal is not None and contract.appeal.appeal_id == appeal_id:
        return Decision(contract)
    if errors or contract is None or contract.evaluation is None:
        return Decision(contract, (rejected(REPORT_REJECTED, errors, contract_id=appeal.contract_id),))
    opened = Appeal(appeal_id=appeal_id, grounds=appeal.grounds, lodged_on=today,
                    evaluation_version=contract.evaluation.version)
    appealed = contract.model_copy(update={"appeal": opened, "version": contract.version + 1})
    registered = AppealRegistered(appeal_id=appeal_id, contract_id=contract.contract_id, grounds=appeal.grounds,
                                  lodged_on=today, evaluation_version=opened.evaluation_version)
    return Decision(appealed, (Emit(APPEAL_REGISTERED, registered.model_dump(mode="json")),))


def _lodging_errors(contract: MonitoredContract | None, appeal: AppealLodged, appeal_id: str,
                    today: date) -> list[FieldError]:
    if contract is None:
        return [FieldError(field="contract_id", message=_("no contract {contract_id} is under monitoring").format(
            contract_id=appeal.contract_id))]
    evaluation = contract.evaluation
    if evaluation is None:
        return [FieldError(field="contract_id", message=(
            _("contract {contract_id} is not evaluated yet: an appeal is against an evaluation").format(
                contract_id=contract.contract_id)))]
    if contract.appeal is not None and contract.appeal.appeal_id != appeal_id:
        return [FieldError(field="contract_id", message=(
            _("contract {contract_id}'s evaluation was already appealed on {lodged_on} (appeal {appeal_id})").format(
                contract_id=contract.contract_id, lodged_on=contract.appeal.lodged_on.isoformat(),
                appeal_id=contract.appeal.appeal_id)))]
    if today > evaluation.appeal_until:
        return [FieldError(field="contract_id", message=(
            _("the appeal window closed on {appeal_until} (working days after the evaluation of {evaluated_on}); "
               "this appeal was received on {today}").format(
                appeal_until=evaluation.appeal_until.isoformat(), evaluated_on=evaluation.evaluated_on.isoformat(),
                today=today.isoformat())))]
    return []


def decide_appeal(contract: MonitoredContract | None, decision: AppealDecision, *, today: date,
                  rules: EvaluationRules) -> Decision:
    """On `intake.appeal.decided`: the evaluation as the decision leaves it (a new version if it changed), the
    final tranche decided, and the appeal closed; or a refusal when no appeal is open."""
    appeal = contract.appeal if contract is not None else None
    if contract is None or contract.evaluation is None or appeal is None or appeal.decided_on is not None:
        return Decision(contract, (rejected(REPORT_REJECTED, [_no_open_appeal(contract, decision)],
                                            contract_id=decision.contract_id),))
    closed = appeal.model_copy(update={"upheld": decision.upheld, "reasoning": decision.reasoning,
                                       "decided_on": today})
    decided = contract.model_copy(update={"appeal": closed, "version": contract.version + 1})
    events: list[Emit] = []
    if decision.upheld and decision.new_scores is not None:
        revised, measures = _revised(decided, decision.new_scores, rules, today)
        if (revised.score, revised.rating) != (contract.evaluation.score, contract.evaluation.rating):
            decided = decided.model_copy(update={"evaluation": revised, "measures": measures})
            events.append(Emit(CONTRACT_EVALUATED, revised.model_dump(mode="json")))
    evaluation = decided.evaluation
    assert evaluation is not None
    decided, paid = decide_tranche(decided, decided.final_milestone,
                                   final_split(decided, evaluation.rating, rules.payments), today)
    outcome = AppealClosed(appeal_id=appeal.appeal_id, contract_id=contract.contract_id, upheld=decision.upheld,
                           changed=bool(events), score=evaluation.score, rating=evaluation.rating, decided_on=today,
                           evaluation_version=evaluation.version)
    return Decision(decided, (*events, Emit(APPEAL_CLOSED, outcome.model_dump(mode="json")), *paid))


def _no_open_appeal(contract: MonitoredContract | None, decision: AppealDecision) -> FieldError:
    if contract is None:
        return FieldError(field="contract_id", message=_("no contract {contract_id} is under monitoring").format(
            contract_id=decision.contract_id))
    if contract.appeal is not None and contract.appeal.decided_on is not None:
        outcome = "upheld" if contract.appeal.upheld else "dismissed"
        return FieldError(field="contract_id", message=(
            _("the appeal against contract {contract_id}'s evaluation was already {outcome} on {decided_on}").format(
                contract_id=contract.contract_id, outcome=label(outcome),
                decided_on=contract.appeal.decided_on.isoformat())))
    return FieldError(field="contract_id", message=_("no appeal against contract {contract_id}'s evaluation is "
                                                      "open").format(
                                                       contract_id=contract.contract_id))


def _revised(contract: MonitoredContract, scores: NewScores, rules: EvaluationRules,
             today: date) -> tuple[ContractEvaluated, Measures]:
    evaluation, kept = contract.evaluation, contract.measures
    assert evaluation is not None and kept is not None
    score = weighted_score(
        scores.indicators if scores.indicators is not None else kept.indicators,
        scores.satisfaction if scores.satisfaction is not None else kept.satisfaction,
        scores.timeliness if scores.timeliness is not None else kept.timeliness,
        rules.weights,
        satisfaction_scored=kept.satisfaction_scored or scores.satisfaction is not None,
        respondents=kept.respondents,
    )
    revised = evaluation_of(contract, score, rules, evaluated_on=today, appeal_until=evaluation.appeal_until,
                            version=contract.version, appeal=contract.appeal)
    return revised, score.measures
