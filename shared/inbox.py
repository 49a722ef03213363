"""The inbox: each consumer records the events it has handled, in the same transaction as their effect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from shared.envelope import Envelope
from shared.mongo import Database, Expiry

INBOX = "inbox"
RECEIPTS = "receipts"


def claim(consumer: str, event: Envelope, at: datetime) -> dict[str, Any]:
    # `at` is the district's receipt time, which a drill or a pinned TODAY moves; expiry needs the wall clock.
    return {"_id": f"{consumer}:{event.event_id}", "consumer": consumer, "type": event.type, "at": at,
            "recorded_at": datetime.now(UTC)}


class AlreadyHandled(Exception):
    """This consumer has already handled the event: acknowledge it and do nothing."""


class Inbox:
    """Claims of handled events, and the district's receipt time of events whose first handling failed.

    Both are kept `retention_seconds` after they were recorded, then the service deletes them (`expiries`, by
    `recorded_at`); the retention must outlast any repeat of an event and any wait of a dead letter for its
    replay (README, "Bounded growth").
    """

    def __init__(self, db: Database, *, retention_seconds: int = 90 * 86_400) -> None:
        self.collection = db[INBOX]
        self.receipts = db[RECEIPTS]
        self.retention_seconds = retention_seconds
        self.expiries = [Expiry(self.collection, "recorded_at", retention_seconds, "claim_expiry"),
                         Expiry(self.receipts, "recorded_at", retention_seconds, "receipt_expiry")]

    async def ensure_indexes(self) -> None:
        for expiry in self.expiries:
            await expiry.ensure_index()

    async def retained(self) -> dict[str, int]:
        """Claims and receipt times the database keeps now (estimated from its metadata: no scan)."""
        return {INBOX: await self.collection.estimated_document_count(),
                RECEIPTS: await self.receipts.estimated_document_count()}

    async def record(self, consumer: str, event: Envelope, at: datetime, session: AsyncClientSession) -> None:
        """Claim `(consumer, event_id)`; a second claim, even by a competing replica, raises AlreadyHandled."""
        try:
            await self.collection.insert_one(claim(consumer, event, at), session=session)
        except DuplicateKeyError as exc:
            raise AlreadyHandled(str(event.event_id)) from exc

    async def record_many(self, claims: list[tuple[str, Envelope, datetime]], session: AsyncClientSession) -> None:
        """Claim several `(consumer, event, at)` at once; any repeat fails the whole claim (BulkWriteError)."""
        await self.collection.insert_many([claim(*c) for c in claims], session=session)

    async def handled_among(self, consumers: list[str], event_ids: list[str]) -> set[str]:
        """Which of `event_ids` any of `consumers` has handled.

        One look-up by key per consumer, asking only for the events no consumer asked before has handled: one
        `$in` of every consumer's keys together (25 consumers x 200 events) cost the embedded server a comparison
        of each claim found with each key, about ten times as much, and the demo asks this of every event it
        waits for.
        """
        found: set[str] = set()
        for consumer in consumers:
            keys = [f"{consumer}:{e}" for e in event_ids if e not in found]
            if not keys:
                break
            docs = await self.collection.find({"_id": {"$in": keys}}, {"_id": 1}).to_list()
            found |= {doc["_id"].rsplit(":", 1)[1] for doc in docs}
        return found

    async def seen(self, consumer: str, event_id: str) -> bool:
        return await self.collection.find_one({"_id": f"{consumer}:{event_id}"}, {"_id": 1}) is not None

    async def received_at(self, consumer: str, event_id: str, *, arrived: datetime, first_delivery: bool) -> datetime:
        """When this service first received the event: `arrived` for a first delivery; for a redelivery or a
        replay, the time remembered when an earlier attempt failed (or `arrived`, if none was)."""
        if first_delivery:
            return arrived
        found = await self.receipts.find_one({"_id": f"{consumer}:{event_id}"})
        at = found.get("at") if found else None
        return at if isinstance(at, datetime) else arrived

    async def remember_receipt(self, consumer: str, event_id: str, at: datetime) -> None:
        """Keep the first receipt time of an event whose handling failed, for its redelivery or replay."""
        await self.receipts.update_one({"_id": f"{consumer}:{event_id}"},
                                       {"$setOnInsert": {"at": at, "recorded_at": datetime.now(UTC)}}, upsert=True)
