"""Evaluation's MongoDB collection of monitored contracts (plan, reports, evaluation in one document each, keyed
by contract id); nothing else touches it."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from services.evaluation.domain import MonitoredContract
from shared.mongo import Database


class StaleContract(Exception):
    """The contract changed since it was read (a competing writer): the delivery is handed back and retried."""


class ContractStore:
    def __init__(self, db: Database) -> None:
        self.contracts = db["contracts"]

    async def ensure_indexes(self) -> None:
        await self.contracts.create_index([("project_id", ASCENDING)], name="by_project")
        await self.contracts.create_index([("org_id", ASCENDING)], name="by_organization")

    async def get(self, contract_id: str, session: AsyncClientSession | None = None) -> MonitoredContract | None:
        doc = await self.contracts.find_one({"_id": contract_id}, session=session)
        return _contract(doc) if doc else None

    async def insert(self, contract: MonitoredContract, session: AsyncClientSession) -> None:
        """A newly monitored contract; a second insert of the same id raises DuplicateKeyError."""
        await self.contracts.insert_one(_document(contract), session=session)

    async def save(self, contract: MonitoredContract, read_version: int, session: AsyncClientSession) -> None:
        """Replace the contract if it is still at the version it was read at."""
        result = await self.contracts.replace_one(
            {"_id": contract.contract_id, "version": read_version}, _document(contract), session=session)
        if result.matched_count != 1:
            raise StaleContract(f"contract {contract.contract_id} is no longer at version {read_version}")

    async def all(self) -> list[MonitoredContract]:
        """Every contract, by id (the operator's view reads them all: a batch is a few hundred)."""
        return [_contract(d) async for d in self.contracts.find({}).sort("_id", ASCENDING)]


def _document(contract: MonitoredContract) -> dict[str, Any]:
    # JSON mode: dates as ISO text, exact figures as text or number; both read back to the same Decimal.
    return {"_id": contract.contract_id, **contract.model_dump(mode="json")}


def _contract(doc: dict[str, Any]) -> MonitoredContract:
    return MonitoredContract.model_validate({k: v for k, v in doc.items() if k != "_id"})
