"""The database baseline: the embedded server's own rate for the writes one intake needs, no broker involved.

One intake = what the catalog's handler and kernel write for one `intake.project.proposed`, in one transaction:
the inbox claim (insert), the duplicate check (read by the unique key purchaser + ref), the project (insert)
and the outcome event (outbox insert); documents of the same shape and size, the same indexes.

Modes (each on a fresh database of the same server, through PyMongo's async client as the services use it):
- `one by one, sequential`: one transaction per intake, one at a time (what one intake costs end to end);
- `one by one, 64 concurrent`: one transaction per intake, 64 in flight (the services' prefetch);
- `several per transaction`: 64 intakes in one transaction, each intake's read and project insert its own
  statement, the inbox and outbox claims one `insert_many` each (what a consumer batching deliveries would do);
- `batched`: 64 intakes in one transaction with one `insert_many` per collection and one read (`_id $in`) for all
  keys.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from bench.suite_catalog import proposal
from shared.envelope import new_event
from shared.inbox import Inbox
from shared.mongo import Client, Database, make_client
from shared.outbox import Outbox, outbox_document
from shared.settings import StoreSettings

CONCURRENCY = 64
BATCH = 64
Intake = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]  # inbox, project, outbox documents


@dataclass
class DbFigure:
    mode: str
    intakes: int
    seconds: float
    transaction_ms: list[float] = field(default_factory=list)  # each transaction's time, ascending

    @property
    def rate(self) -> float:
        return self.intakes / self.seconds if self.seconds > 0 else 0.0


def intake_documents(n: int) -> Intake:
    """The three documents one intake writes, shaped as the catalog and the kernel write them."""
    data = proposal(n, run="db")
    event_id = uuid.uuid4()
    now = datetime.now(UTC)
    project_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{n}"))
    inbox = {"_id": f"catalog.project-proposed:{event_id}", "consumer": "catalog.project-proposed",
             "type": "intake.project.proposed", "at": now, "recorded_at": now}
    project = {"_id": project_id, **data, "status": "published", "version": 1, "contract_id": None}
    published = new_event("catalog.project.published", {"project_id": project_id, **data, "status": "published",
                                                         "version": 1}, source="catalog", correlation_id=event_id)
    return inbox, project, outbox_document(published)


def _key(project: dict[str, Any]) -> dict[str, Any]:
    return {"purchaser.kind": project["purchaser"]["kind"], "purchaser.name": project["purchaser"]["name"],
            "project_ref": project["project_ref"]}


async def prepare(db: Database) -> None:
    await db["projects"].create_index(
        [("purchaser.kind", ASCENDING), ("purchaser.name", ASCENDING), ("project_ref", ASCENDING)], unique=True)
    await db["projects"].create_index([("batch", ASCENDING), ("status", ASCENDING)])
    await Inbox(db).ensure_indexes()
    await Outbox(db).ensure_indexes()


async def one_intake(db: Database, intake: Intake, session: AsyncClientSession) -> None:
    inbox, project, outbox = intake
    await db["inbox"].insert_one(inbox, session=session)
    await db["projects"].find_one(_key(project), session=session)
    await db["projects"].insert_one(project, session=session)
    await db["outbox"].insert_many([outbox], session=session)


async def several(db: Database, intakes: list[Intake], session: AsyncClientSession) -> None:
    await db["inbox"].insert_many([i[0] for i in intakes], session=session)
    for _, project, _ in intakes:
        await db["projects"].find_one(_key(project), session=session)
        await db["projects"].insert_one(project, session=session)
    await db["outbox"].insert_many([i[2] for i in intakes], session=session)


async def batched(db: Database, intakes: list[Intake], session: AsyncClientSession) -> None:
    await db["inbox"].insert_many([i[0] for i in intakes], session=session)
    # A project's id is derived from its purchaser and ref (services/catalog/domain.py), so one `$in` on `_id`
    # reads every key of the batch through the primary index.
    await db["projects"].find({"_id": {"$in": [i[1]["_id"] for i in intakes]}}, session=session).to_list()
    await db["projects"].insert_many([i[1] for i in intakes], session=session)
    await db["outbox"].insert_many([i[2] for i in intakes], session=session)


async def in_transaction(client: Client, work: Callable[[AsyncClientSession], Awaitable[None]]) -> None:
    async with client.start_session() as session:
        await session.with_transaction(work)


Durations = list[float]


async def _timed(client: Client, mode: str, count: int,
                 run: Callable[[Client, Database, list[Intake], Durations], Awaitable[None]]) -> DbFigure:
    db = client[f"bench_db_{uuid.uuid4().hex[:8]}"]
    await prepare(db)
    intakes = [intake_documents(n) for n in range(count)]
    durations: Durations = []
    began = time.monotonic()
    await run(client, db, intakes, durations)
    return DbFigure(mode, count, time.monotonic() - began, sorted(d * 1000 for d in durations))


async def _sequential(client: Client, db: Database, intakes: list[Intake], durations: Durations) -> None:
    for intake in intakes:
        began = time.monotonic()
        await in_transaction(client, lambda s, i=intake: one_intake(db, i, s))  # type: ignore[misc]
        durations.append(time.monotonic() - began)


async def _concurrent(client: Client, db: Database, intakes: list[Intake], durations: Durations) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(intake: Intake) -> None:
        async with gate:
            began = time.monotonic()
            await in_transaction(client, lambda s: one_intake(db, intake, s))
            durations.append(time.monotonic() - began)

    await asyncio.gather(*(one(i) for i in intakes))


def _in_batches(step: Callable[[Database, list[Intake], AsyncClientSession], Awaitable[None]]) -> Callable[
        [Client, Database, list[Intake], Durations], Awaitable[None]]:
    async def run(client: Client, db: Database, intakes: list[Intake], durations: Durations) -> None:
        for start in range(0, len(intakes), BATCH):
            chunk = intakes[start:start + BATCH]
            began = time.monotonic()
            await in_transaction(client, lambda s, c=chunk: step(db, c, s))  # type: ignore[misc]
            durations.append(time.monotonic() - began)

    return run


async def measure(mongo_url: str, *, sequential: int, concurrent: int, batches: int) -> list[DbFigure]:
    """Each mode on its own fresh database; `batches` intakes for each batched mode."""
    client = make_client(StoreSettings(mongo_url=mongo_url), "bench-db-baseline")
    try:
        return [
            await _timed(client, "one by one, sequential", sequential, _sequential),
            await _timed(client, f"one by one, {CONCURRENCY} concurrent", concurrent, _concurrent),
            await _timed(client, f"several per transaction ({BATCH} intakes, own statements)", batches,
                         _in_batches(several)),
            await _timed(client, f"batched ({BATCH} intakes, insert_many + one read)", batches,
                         _in_batches(batched)),
        ]
    finally:
        await client.close()
