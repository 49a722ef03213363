"""The database side of a service: the `pymongo.AsyncMongoClient` factory and the faults worth retrying."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from shared.settings import StoreSettings

Document = dict[str, Any]
Database = AsyncDatabase[Document]
Client = AsyncMongoClient[Document]
Collection = AsyncCollection[Document]
INDEX_NOT_FOUND = 27

_TRANSIENT = (AutoReconnect, ConnectionFailure, ExecutionTimeout, NetworkTimeout, NotPrimaryError,
              ServerSelectionTimeoutError, WTimeoutError)


def make_client(settings: StoreSettings, app_name: str,
                listeners: Sequence[monitoring.CommandListener] = ()) -> Client:
    """One client per process; timeouts short enough that a dead database is noticed in seconds. `app_name`: the
    service (whose embedded server it reaches when MONGO_URL is unset). `listeners` see every command
    (`shared.sessions` records the sessions transactions use)."""
    return AsyncMongoClient(
        settings.url_for(app_name),
        appname=app_name,
        event_listeners=list(listeners),
        tz_aware=True,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        socketTimeoutMS=max(settings.mongo_timeout_ms * 5, 10_000),
    )


def is_transient(exc: BaseException) -> bool:
    """A fault that waiting can cure: the database unreachable, restarting, or a transaction to retry."""
    if isinstance(exc, _TRANSIENT):
        return True
    if isinstance(exc, PyMongoError) and (
        exc.has_error_label("TransientTransactionError") or exc.has_error_label("RetryableWriteError")
    ):
        return True
    return isinstance(exc, OperationFailure) and exc.code in {11600, 11602, 91, 189, 262, 112, 251}


@dataclass(frozen=True)
class Expiry:
    """Documents of `collection` whose `field` (a date) is older than `seconds`, deleted by `expire`; a document
    without the field stays. Not by a range of `_id`, though an ObjectId carries its time: the embedded server
    reads every document for a range or a sort of `_id`, as for no index at all (`shared.outbox.Outbox`).

    The services expire what they keep themselves, once a minute (`Service`), over a plain index on `field`,
    rather than leaving it to the server's TTL monitor. mongod's monitor walks the TTL index; the embedded
    server's reads every document of each collection with a TTL index every minute, under the lock all its
    statements wait for, so its cost grew with what a service keeps (47 ms for 1,000 claims, 471 ms for 10,000;
    bench/PROFILE.md), whether or not anything had expired. Deleting by a range of the index costs both servers
    the expired documents only, and a changed retention needs no change of index. `label` names what is kept in
    the metrics (the collection's name if None).
    """

    collection: Collection
    field: str
    seconds: int
    index: str
    label: str | None = None

    @property
    def kept(self) -> str:
        return self.label or self.collection.name

    async def ensure_index(self) -> None:
        """The plain index on `field`; a TTL index of the same name, left by an earlier version, is replaced
        (dropping and creating an index are within a service user's readWrite role, changing one is not)."""
        existing = (await self.collection.index_information()).get(self.index)
        if existing is not None and "expireAfterSeconds" in existing:
            await drop_index(self.collection, self.index)
        await self.collection.create_index(self.field, name=self.index)

    def cutoff(self, now: datetime | None = None) -> datetime:
        return (now or datetime.now(UTC)) - timedelta(seconds=self.seconds)

    async def expire(self, now: datetime | None = None) -> int:
        """Delete what is older than the retention; return how many. Replicas may run it at once: what one
        deleted, the other no longer finds."""
        cutoff = self.cutoff(now)
        result = await self.collection.delete_many({self.field: {"$lt": cutoff}})
        return int(result.deleted_count)


async def drop_index(collection: Collection, name: str) -> None:
    """Drop the index `name` if it is there (another replica may have dropped it first)."""
    try:
        await collection.drop_index(name)
    except OperationFailure as exc:
        if exc.code != INDEX_NOT_FOUND:
            raise


async def ping(db: Database, timeout_s: float = 1.0) -> str | None:
    """None if the database answers, else why not."""
    try:
        await db.command("ping", maxTimeMS=int(timeout_s * 1000))
    except PyMongoError as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None
