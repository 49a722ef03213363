"""The catalog's subscribers: proposals and withdrawals from outside, awards and evaluations from other services."""

from __future__ import annotations

from services.catalog.domain import District, advance, propose, withdraw
from services.catalog.store import ProjectStore
from shared.consumer import Unprocessable
from shared.contracts.catalog import ContractAwardedRef, ContractEvaluatedRef, ProjectStatus
from shared.envelope import Envelope
from shared.unit_of_work import Transaction
from shared.validation import parse


class CatalogHandlers:
    def __init__(self, store: ProjectStore, district: District) -> None:
        self.store = store
        self.district = district

    async def project_proposed(self, event: Envelope, tx: Transaction) -> None:
        existing = await self.store.find_by_ref(event.data.get("purchaser"), event.data.get("project_ref"),
                                                tx.session)
        project, outcome = propose(event.data, self.district, existing)
        if project is not None:
            await self.store.insert(project, tx.session)
        tx.emit(outcome)

    async def project_withdrawn(self, event: Envelope, tx: Transaction) -> None:
        pid = event.data.get("project_id")
        current = await self.store.get(pid, tx.session) if isinstance(pid, str) else None
        project, outcome = withdraw(event.data, current)
        if project is not None:
            await self.store.save(project, tx.session)
        tx.emit(outcome)

    async def contract_awarded(self, event: Envelope, tx: Transaction) -> None:
        ref = parse(ContractAwardedRef, event.data)
        if isinstance(ref, list):
            raise Unprocessable("; ".join(f"{e.field}: {e.message}" for e in ref))
        await self._move(ref.project_id, "awarded", ref.contract_id, tx)

    async def contract_evaluated(self, event: Envelope, tx: Transaction) -> None:
        ref = parse(ContractEvaluatedRef, event.data)
        if isinstance(ref, list):
            raise Unprocessable("; ".join(f"{e.field}: {e.message}" for e in ref))
        await self._move(ref.project_id, "evaluated", ref.contract_id, tx)

    async def _move(self, project_id: str, status: ProjectStatus, contract_id: str, tx: Transaction) -> None:
        project = await self.store.get(project_id, tx.session)
        if project is None:
            raise Unprocessable(f"no project {project_id} in the catalog")
        moved, outcomes = advance(project, status, contract_id)
        if outcomes:
            await self.store.save(moved, tx.session)
            tx.emit(*outcomes)

