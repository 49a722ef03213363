"""The kernel's group commit against the real database: events handled together in one transaction keep every
guarantee of events handled alone (exactly once, one event's fault touches no other, repeats do nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.batching import TransactionBatcher
from shared.documents import find_one
from shared.envelope import Envelope, new_event
from shared.inbox import AlreadyHandled, Inbox
from shared.mongo import Client, Database, make_client
from shared.outbox import Outbox
from shared.outcome import Emit
from shared.settings import StoreSettings
from shared.unit_of_work import Transaction

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)


@pytest.fixture
async def database(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Client, Database]]:
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "batching-test")
    yield client, client[f"{db_prefix}batching"]
    await client.drop_database(f"{db_prefix}batching")
    await client.close()


def batcher_for(client: Client, db: Database) -> TransactionBatcher:
    # One transaction at a time, so every event that arrives while it runs joins the next batch.
    return TransactionBatcher(client, Inbox(db), Outbox(db), source="batchtest", max_batch=32, transactions=1)


def item(n: int, poison: bool = False) -> Envelope:
    return new_event("intake.batchtest.item", {"n": n, "poison": poison}, source="test")


async def handle_all(batcher: TransactionBatcher, db: Database, events: list[Envelope]) -> list[object]:
    async def handler(event: Envelope, tx: Transaction) -> None:
        if event.data["poison"]:
            raise RuntimeError(f"cannot process item {event.data['n']}")
        await db["items"].insert_one({"_id": event.data["n"]}, session=tx.session)
        tx.emit(Emit("batchtest.item.recorded", {"n": event.data["n"]}))

    return await asyncio.gather(
        *(batcher.handle("batchtest.items", e, handler, now=NOW, today=TODAY) for e in events),
        return_exceptions=True)


async def test_events_arriving_together_are_committed_in_shared_transactions_each_exactly_once(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    batcher = batcher_for(client, db)
    events = [item(n) for n in range(40)]
    results = await handle_all(batcher, db, events)
    assert all(isinstance(r, list) and len(r) == 1 for r in results)
    assert [r[0].correlation_id for r in results] == [e.event_id for e in events]  # type: ignore[index]
    assert batcher.batches >= 1
    assert sorted(d["_id"] for d in await db["items"].find().to_list()) == list(range(40))
    assert await db["outbox"].count_documents({}) == 40 and await db["inbox"].count_documents({}) == 40


async def test_a_failing_event_in_a_batch_fails_alone_and_the_others_are_kept(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    events = [item(n, poison=(n == 7)) for n in range(20)]
    results = await handle_all(batcher_for(client, db), db, events)
    assert isinstance(results[7], RuntimeError) and "cannot process item 7" in str(results[7])
    assert all(isinstance(r, list) for i, r in enumerate(results) if i != 7)
    assert sorted(d["_id"] for d in await db["items"].find().to_list()) == [n for n in range(20) if n != 7]
    assert await db["outbox"].count_documents({}) == 19
    assert not await Inbox(db).seen("batchtest.items", str(events[7].event_id))


async def test_an_event_delivered_twice_in_one_batch_is_handled_once_and_the_repeat_does_nothing(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    events = [item(n) for n in range(10)]
    results = await handle_all(batcher_for(client, db), db, [*events, events[3]])
    assert isinstance(results[-1], AlreadyHandled) or isinstance(results[3], AlreadyHandled)
    assert sum(isinstance(r, list) for r in results) == 10
    assert await db["items"].count_documents({}) == 10 and await db["outbox"].count_documents({}) == 10


async def test_a_later_event_of_a_batch_sees_what_an_earlier_one_created_and_creates_nothing_twice(
    database: tuple[Client, Database],
) -> None:
    client, db = database

    async def create_once(event: Envelope, tx: Transaction) -> None:
        existing = await find_one(db["items"], {"ref": event.data["ref"]}, tx)
        if existing is not None:
            tx.emit(Emit("batchtest.item.rejected", {"ref": event.data["ref"], "existing": existing["_id"]}))
            return
        tx.insert(db["items"], {"_id": str(event.event_id), "ref": event.data["ref"]})
        tx.emit(Emit("batchtest.item.recorded", {"ref": event.data["ref"]}))

    batcher = batcher_for(client, db)
    events = [new_event("intake.batchtest.item", {"ref": ref}, source="test") for ref in ("A", "B", "A", "C", "B")]
    results = await asyncio.gather(*(batcher.handle("batchtest.items", e, create_once, now=NOW, today=TODAY)
                                     for e in events))
    assert [r[0].type for r in results] == ["batchtest.item.recorded"] * 2 + ["batchtest.item.rejected"] + [
        "batchtest.item.recorded", "batchtest.item.rejected"]
    assert results[2][0].data["existing"] == str(events[0].event_id)
    assert sorted(d["ref"] for d in await db["items"].find().to_list()) == ["A", "B", "C"]


async def test_a_batch_reads_the_documents_its_handlers_look_up_together_and_a_bad_hint_is_skipped(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    await db["counters"].insert_many([{"_id": f"c-{n}", "count": n} for n in range(30)])
    reads: list[int] = []

    async def count_up(event: Envelope, tx: Transaction) -> None:
        counter = await find_one(db["counters"], {"_id": event.data["counter"]}, tx)
        assert counter is not None
        tx.replace(db["counters"], counter["_id"], {**counter, "count": counter["count"] + 1})
        reads.append(tx.pending.reads)

    def looks_up(event: Envelope) -> list[tuple[Any, Any]]:
        if event.data["counter"] == "c-5":
            raise KeyError("no hint for this one")
        return [(db["counters"], event.data["counter"])]

    batcher = batcher_for(client, db)
    events = [new_event("intake.batchtest.count", {"counter": f"c-{n % 30}"}, source="test") for n in range(33)]
    results = await asyncio.gather(*(batcher.handle("batchtest.counts", e, count_up, now=NOW, today=TODAY,
                                                    looks_up=looks_up) for e in events))
    assert all(r == [] for r in results)
    assert batcher.batches >= 1
    # The first event ran alone (nothing was waiting); the rest as one batch: its 31 counters with a hint read in
    # two statements before the first handler, c-5 (no hint) on its own, and nothing read after that.
    assert reads[0] == 1 and max(reads[1:]) == 3
    counts = {d["_id"]: d["count"] for d in await db["counters"].find().to_list()}
    assert counts == {f"c-{n}": n + (2 if n < 3 else 1) for n in range(30)}


async def test_a_batch_that_failed_handles_its_events_again_one_by_one_in_the_order_they_arrived(
    database: tuple[Client, Database],
) -> None:
    """Events about the same thing (a session recorded twice, say) are decided in the order they arrived, even
    when their batch failed for a fault beside them and each is handled again alone."""
    client, db = database
    await db["log"].insert_one({"_id": "order", "seen": []})

    async def append(event: Envelope, tx: Transaction) -> None:
        if event.data["poison"]:
            raise RuntimeError("the fault that fails the batch")
        log = await find_one(db["log"], {"_id": "order"}, tx)
        assert log is not None
        tx.replace(db["log"], "order", {**log, "seen": [*log["seen"], event.data["n"]]})
        tx.emit(Emit("batchtest.item.recorded", {"n": event.data["n"]}))

    batcher = batcher_for(client, db)
    # The first starts a transaction of its own at once; the rest arrive meanwhile and make the next batch, which
    # the poisoned one fails.
    events = [item(0), item(99, poison=True), *(item(n) for n in range(1, 13))]
    results = await asyncio.gather(*(batcher.handle("batchtest.items", e, append, now=NOW, today=TODAY)
                                     for e in events), return_exceptions=True)
    assert isinstance(results[1], RuntimeError) and all(isinstance(r, list) for r in results[:1] + results[2:])
    log = await find_one(db["log"], {"_id": "order"})
    assert log is not None and log["seen"] == list(range(13))
