"""The inbox: each consumer records the events it has handled, in the same transaction as their effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from shared.envelope import Envelope
from shared.mongo import Database

INBOX = "inbox"
RECEIPTS = "receipts"


def claim(consumer: str, event: Envelope, at: datetime) -> dict[str, Any]:
    return {"_id": f"{consumer}:{event.event_id}", "consumer": consumer, "type": event.type, "at": at}


class AlreadyHandled(Exception):
    """This consumer has already handled the event: acknowledge it and do nothing."""


class Inbox:
    """Claims of handled events, and the district's receipt time of events whose first handling failed."""

    def __init__(self, db: Database) -> None:
        self.collection = db[INBOX]
        self.receipts = db[RECEIPTS]

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
        """Which of `event_ids` any of `consumers` has handled."""
        keys = [f"{c}:{e}" for c in consumers for e in event_ids]
        found = await self.collection.find({"_id": {"$in": keys}}, {"_id": 1}).to_list()
        return {doc["_id"].rsplit(":", 1)[1] for doc in found}

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
        await self.receipts.update_one({"_id": f"{consumer}:{event_id}"}, {"$setOnInsert": {"at": at}}, upsert=True)
