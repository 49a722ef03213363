"""Evaluation's subscribers: an award from matching opens monitoring; a report from outside is accepted (and, the
final one, evaluates the contract) or refused naming every reason."""

from __future__ import annotations

from typing import Any

from services.evaluation.domain import (
    MONITORING_REJECTED,
    EvaluationRules,
    MonitoredContract,
    open_monitoring,
    report_id_for,
    submit_report,
)
from services.evaluation.settings import EvaluationSettings
from services.evaluation.store import ContractStore
from shared.consumer import Unprocessable
from shared.envelope import Envelope
from shared.unit_of_work import Transaction


class EvaluationHandlers:
    def __init__(self, store: ContractStore, settings: EvaluationSettings) -> None:
        self.store = store
        self.settings = settings
        self.rules: EvaluationRules = settings.rules

    async def contract_awarded(self, event: Envelope, tx: Transaction) -> None:
        existing = await self._contract(event.data.get("contract_id"), tx)
        decision = open_monitoring(existing, event.data, self.rules)
        for outcome in decision.events:
            if outcome.type == MONITORING_REJECTED:
                # matching's award breaks the contract between the two services: no retry fixes it, an operator
                # must, so it goes to the dead-letter queue with the reasons instead of an event nobody reads.
                reasons = "; ".join(f"{e['field']}: {e['message']}" for e in outcome.data["errors"])
                raise Unprocessable(f"award does not fit evaluation's reading of it: {reasons}")
        if existing is None and decision.contract is not None:
            await self.store.insert(decision.contract, tx.session)
        tx.emit(*decision.events)

    async def report_submitted(self, event: Envelope, tx: Transaction) -> None:
        contract = await self._contract(event.data.get("contract_id"), tx)
        decision = submit_report(contract, event.data, report_id=report_id_for(str(event.event_id)),
                                 today=tx.today, rules=self.rules)
        if contract is not None and decision.contract is not None and decision.contract.version != contract.version:
            await self.store.save(decision.contract, contract.version, tx.session)
        tx.emit(*decision.events)

    async def _contract(self, contract_id: Any, tx: Transaction) -> MonitoredContract | None:
        if not isinstance(contract_id, str) or not contract_id.strip():
            return None
        return await self.store.get(contract_id.strip(), tx.session)
