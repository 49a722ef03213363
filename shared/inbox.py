"""The inbox: each consumer records the events it has handled, in the same transaction as their effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from shared.envelope import Envelope
from shared.mongo import Database

INBOX = "inbox"


def claim(consumer: str, event: Envelope, at: datetime) -> dict[str, Any]:
    return {"_id": f"{consumer}:{event.event_id}", "consumer": consumer, "type": event.type, "at": at}


class AlreadyHandled(Exception):
    """This consumer has already handled the event: acknowledge it and do nothing."""


class Inbox:
    def __init__(self, db: Database) -> None:
        self.collection = db[INBOX]

    async def record(self, consumer: str, event: Envelope, at: datetime, session: AsyncClientSession) -> None:
        """Claim `(consumer, event_id)`; a second claim, even by a competing replica, raises AlreadyHandled."""
        try:
            await self.collection.insert_one(claim(consumer, event, at), session=session)
        except DuplicateKeyError as exc:
            raise AlreadyHandled(str(event.event_id)) from exc

    async def record_many(self, claims: list[tuple[str, Envelope, datetime]], session: AsyncClientSession) -> None:
        """Claim several `(consumer, event, at)` at once; any repeat fails the whole claim (BulkWriteError)."""
        await self.collection.insert_many([claim(*c) for c in claims], session=session)

    async def seen(self, consumer: str, event_id: str) -> bool:
        return await self.collection.find_one({"_id": f"{consumer}:{event_id}"}, {"_id": 1}) is not None
