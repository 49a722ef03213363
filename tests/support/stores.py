"""Store tests against the real database: a database of the test's own, and a way to commit a store's writes in
a transaction as a handler's would be committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import TypeVar

from shared.mongo import Client, Database, make_client
from shared.outbox import Outbox
from shared.settings import StoreSettings
from shared.unit_of_work import Transaction, run_job_step

T = TypeVar("T")
NOW = datetime(2015, 3, 2, 2, 0, tzinfo=UTC)


@asynccontextmanager
async def store_database(mongo_url: str, name: str) -> AsyncIterator[tuple[Client, Database]]:
    client = make_client(StoreSettings(MONGO_URL=mongo_url), f"{name}-store-test")
    try:
        yield client, client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def committed(client: Client, db: Database, step: Callable[[Transaction], Awaitable[T]],
                    today: date = date(2015, 3, 2)) -> T:
    """Run `step` in a transaction and commit its writes (the kernel's unit of work, without an inbox claim)."""
    return await run_job_step(client, Outbox(db), step, now=NOW, today=today, source="store-test")
