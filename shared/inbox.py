"""The inbox: each consumer records the events it has handled, in the same transaction as their effect."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from shared.envelope import Envelope
from shared.mongo import Database

INBOX = "inbox"


class AlreadyHandled(Exception):
    """This consumer has already handled the event: acknowledge it and do nothing."""


class Inbox:
    def __init__(self, db: Database) -> None:
        self.collection = db[INBOX]

    async def record(self, consumer: str, event: Envelope, at: datetime, session: AsyncClientSession) -> None:
        """Claim `(consumer, event_id)`; a second claim, even by a competing replica, raises AlreadyHandled."""
        try:
            await self.collection.insert_one(
                {"_id": f"{consumer}:{event.event_id}", "consumer": consumer, "type": event.type, "at": at},
                session=session,
            )
        except DuplicateKeyError as exc:
            raise AlreadyHandled(str(event.event_id)) from exc

    async def seen(self, consumer: str, event_id: str) -> bool:
        return await self.collection.find_one({"_id": f"{consumer}:{event_id}"}, {"_id": 1}) is not None
