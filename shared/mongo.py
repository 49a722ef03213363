"""The database side of a service: the `pymongo.AsyncMongoClient` factory and the faults worth retrying."""

from __future__ import annotations

from collections.abc import Sequence
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


async def ensure_ttl_index(collection: Collection, field: str, seconds: int, name: str) -> None:
    """Documents whose `field` (a date) is older than `seconds` are removed by the server's TTL monitor; a document
    without the field stays. A changed retention replaces the index: dropping and creating an index are within a
    service user's readWrite role, changing one in place (collMod) is not."""
    existing = (await collection.index_information()).get(name)
    if existing is not None and existing.get("expireAfterSeconds") != seconds:
        try:
            await collection.drop_index(name)
        except OperationFailure as exc:  # another replica replaced it first
            if exc.code != INDEX_NOT_FOUND:
                raise
    await collection.create_index(field, expireAfterSeconds=seconds, name=name)


async def ping(db: Database, timeout_s: float = 1.0) -> str | None:
    """None if the database answers, else why not."""
    try:
        await db.command("ping", maxTimeMS=int(timeout_s * 1000))
    except PyMongoError as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None
