"""Evaluation's MongoDB collection of monitored contracts (plan, reports and reviews, tranches, alerts, evaluation
and appeal in one document each, keyed by contract id); nothing else touches it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo import ASCENDING

from services.evaluation.domain.contract import MonitoredContract
from shared.documents import Writer, count, find, find_one
from shared.mongo import Database
from shared.unit_of_work import Transaction


class StaleContract(Exception):
    """The contract changed since it was read (a competing writer): the delivery is handed back and retried."""


class ContractStore:
    def __init__(self, db: Database) -> None:
        self.contracts = db["contracts"]

    async def ensure_indexes(self) -> None:
        await self.contracts.create_index([("project_id", ASCENDING)], name="by_project")
        await self.contracts.create_index([("org_id", ASCENDING)], name="by_organization")
        await self.contracts.create_index([("category", ASCENDING)], name="by_category")
        await self.contracts.create_index([("street", ASCENDING)], name="by_street")
        await self.contracts.create_index([("reports.report_id", ASCENDING)], name="by_report")
        await self.contracts.create_index([("closed", ASCENDING)], name="by_closed")

    async def get(self, contract_id: str, reader: Writer | None = None) -> MonitoredContract | None:
        doc = await find_one(self.contracts, {"_id": contract_id}, reader)
        return _contract(doc) if doc else None

    async def by_report(self, report_id: str, reader: Writer | None = None) -> MonitoredContract | None:
        """The contract one of whose reports is `report_id`."""
        doc = await find_one(self.contracts, {"reports.report_id": report_id}, reader)
        return _contract(doc) if doc else None

    async def open_contracts(self, page: int = 200) -> AsyncIterator[MonitoredContract]:
        """The contracts the clock still has something to check on (not `closed`), by id, read `page` at a time.

        A page is read after the last id of the one before, not from one cursor held open: the clock's run takes
        a transaction per contract in between, which may outlast a cursor, and only one page is in memory at a
        time however many contracts a district has open.
        """
        after: str | None = None
        while True:
            query: dict[str, Any] = {"closed": {"$ne": True}}
            if after is not None:
                query["_id"] = {"$gt": after}
            docs = await find(self.contracts, query, sort=[("_id", ASCENDING)], limit=page)
            for doc in docs:
                yield _contract(doc)
            if len(docs) < page:
                return
            after = docs[-1]["_id"]

    def insert(self, contract: MonitoredContract, tx: Transaction) -> None:
        """A newly monitored contract; a second insert of the same id fails the commit (DuplicateKeyError)."""
        tx.insert(self.contracts, _document(contract))

    async def save(self, contract: MonitoredContract, read_version: int, tx: Transaction) -> None:
        """Replace the contract if it is still at the version it was read at."""
        fields = {k: v for k, v in _document(contract).items() if k != "_id"}
        matched = await tx.update_now(self.contracts, {"_id": contract.contract_id, "version": read_version},
                                      {"$set": fields})
        if matched != 1:
            raise StaleContract(f"contract {contract.contract_id} is no longer at version {read_version}")

    async def search(self, query: dict[str, Any], *, limit: int, offset: int) -> tuple[list[MonitoredContract], int]:
        """One page of the contracts matching `query` (by contract id), and how many match in all."""
        docs = await find(self.contracts, query, sort=[("_id", ASCENDING)], limit=limit, skip=offset)
        return [_contract(d) for d in docs], await count(self.contracts, query)

    async def all(self) -> list[MonitoredContract]:
        """Every contract, by id (the overview reads them all: a batch is a few hundred)."""
        return [_contract(d) for d in await find(self.contracts, {}, sort=[("_id", ASCENDING)])]


def _document(contract: MonitoredContract) -> dict[str, Any]:
    # JSON mode: dates as ISO text, exact figures as text or number; both read back to the same Decimal.
    # `closed` is kept beside the contract so the clock's job finds the open ones by index.
    return {"_id": contract.contract_id, **contract.model_dump(mode="json"), "closed": contract.closed}


def _contract(doc: dict[str, Any]) -> MonitoredContract:
    return MonitoredContract.model_validate({k: v for k, v in doc.items() if k not in ("_id", "closed")})
