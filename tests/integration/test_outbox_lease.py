"""The relay's lease against the real broker and the embedded database: the relays of several replicas over one
outbox publish each row once, and the rows of a relay that died holding its lease are published once it expires."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from pymongo.errors import AutoReconnect

from shared import outbox as outbox_module
from shared.envelope import Envelope, new_event
from shared.mongo import make_client
from shared.outbox import Outbox, OutboxRelay, RelayTimeout, outbox_document
from shared.outcome import Emit
from shared.service import Service
from shared.sessions import PROCESSES, SessionRegistry
from shared.settings import BusSettings, ServiceSettings, StoreSettings
from shared.unit_of_work import Transaction
from tests.support.bus import BusProbe
from tests.support.endpoints import user_url
from tests.support.outbox import OutboxReads

pytestmark = pytest.mark.integration


class Work(BaseModel):
    n: int


async def do_work(event: Envelope, tx: Transaction) -> None:
    tx.emit(Emit("kerneltest.work.done", {"n": event.data["n"]}))


def replica(rabbit_url: str, mongo_url: str, prefix: str, lease_seconds: float = 30.0) -> Service:
    """One replica of a service: replicas with the same `prefix` share its database, and so its outbox."""
    settings = ServiceSettings(bus=BusSettings(RABBITMQ_URL=user_url(rabbit_url, "kerneltest"), PREFETCH=16,
                                               RELAY_LEASE_SECONDS=lease_seconds),
                               store=StoreSettings(MONGO_URL=mongo_url, MONGO_DATABASE_PREFIX=prefix))
    service = Service("kerneltest", settings)
    service.consume("work", "intake.kernel.work", do_work, document=Work, description="work items")
    return service


@contextlib.asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    app = service.app()
    async with app.start_lifespan_context():
        await asyncio.wait_for(service.started.wait(), 30)
        yield service


async def drained(service: Service, timeout: float = 30.0) -> None:
    """Until the shared outbox holds nothing unsent (the relay marks a batch sent just after its confirms)."""
    for _ in range(round(timeout / 0.1)):
        if await service.outbox.backlog() == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the outbox still holds {await service.outbox.backlog()} unsent events")


def outcomes(n: int) -> list[Envelope]:
    return [new_event("kerneltest.work.done", {"n": i}, source="kerneltest") for i in range(n)]


async def test_the_relays_of_three_replicas_over_one_outbox_publish_each_row_once(
    rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    replicas = [replica(rabbit_url, mongo_url, db_prefix) for _ in range(3)]
    # Rows waiting before any relay starts (all three race for them at start-up) ...
    waiting = outcomes(600)
    await replicas[0].outbox.add(waiting, session=None)
    async with BusProbe(rabbit_url, patterns=("kerneltest.#",)) as bus, contextlib.AsyncExitStack() as stack:
        for service in replicas:
            await stack.enter_async_context(running(service))
        # ... and rows each replica's own handlers write while all three relay.
        sent = [await bus.send("intake.kernel.work", {"n": i}) for i in range(200)]
        await bus.wait_for(lambda evs: len({e["event_id"] for e in evs}) == 800, timeout=300, stall=30)
        await drained(replicas[0])
        await bus.quiet(1.0)
        published = [service.relay.published for service in replicas]
    copies = Counter(e["event_id"] for e in bus.events)
    assert len(copies) == 800 and set(copies.values()) == {1}
    assert {str(e.event_id) for e in waiting} <= set(copies)
    assert {e["correlation_id"] for e in bus.events if e["correlation_id"]} >= {e["event_id"] for e in sent}
    assert sum(published) == 800  # each row published by one relay: none twice


async def test_rows_claimed_by_a_relay_that_died_are_published_once_its_lease_expires(
    rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    survivor = replica(rabbit_url, mongo_url, db_prefix, lease_seconds=1.0)
    left = outcomes(40)
    await survivor.outbox.add(left, session=None)

    async def never(envelope: Envelope) -> None:
        raise AssertionError("the dead relay publishes nothing")

    # A relay claims the rows and dies before publishing them: its lease is all that is left of it.
    dead = OutboxRelay(survivor.outbox, never, batch=25, lease_seconds=1.0)
    claimed = await dead.claim()
    assert len(claimed) == 25
    leases = {d["_id"]: d["lease_until"] async for d in survivor.outbox.collection.find({"lease": {"$ne": None}})}
    assert set(leases) == {d["_id"] for d in claimed}

    async with BusProbe(rabbit_url, patterns=("kerneltest.#",)) as bus, running(survivor):
        await bus.wait_for(lambda evs: len(evs) >= 40, timeout=20)
        await drained(survivor)
        await bus.quiet(0.5)
        waiting = await survivor.outbox.collection.count_documents({})
        rows = await survivor.outbox.sent.find({}, {"outbox_id": 1, "sent_at": 1}).to_list()
    copies = Counter(e["event_id"] for e in bus.events)
    assert copies == Counter(str(e.event_id) for e in left)
    assert waiting == 0 and len(rows) == len({r["outbox_id"] for r in rows}) == 40
    # The claimed rows went out only after the dead relay's lease expired; the others at once.
    for r in rows:
        if r["outbox_id"] in leases:
            assert r["sent_at"] >= leases[r["outbox_id"]].astimezone(UTC)


@pytest.fixture
async def outbox(mongo_url: str, db_prefix: str) -> AsyncIterator[Outbox]:
    """An outbox of its own, with its indexes, on the test database server; dropped after."""
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "lease-test")
    try:
        kept = Outbox(client[f"{db_prefix}lease"])
        await kept.ensure_indexes()
        yield kept
    finally:
        await client.drop_database(f"{db_prefix}lease")
        await client.close()


async def test_a_row_is_claimable_when_never_leased_or_its_lease_has_passed_and_never_when_marked_sent(
    outbox: Outbox,
) -> None:
    now = datetime.now(UTC)
    rows: dict[str, dict[str, Any]] = {
        "never leased": {}, "lease null": {"lease_until": None},
        "lease passed": {"lease_until": now - timedelta(seconds=1)},
        "lease running": {"lease_until": now + timedelta(seconds=30)},
        "sent": {"sent": True, "sent_at": now}}  # as an earlier version marked a row it published
    for name, fields in rows.items():
        await outbox.collection.insert_one({**outbox_document(new_event("kerneltest.work.done", {"n": name},
                                                                        source="kerneltest")), **fields})
    relay = OutboxRelay(outbox, publish=nothing, lease_seconds=30)
    claimed = await relay.claim()
    assert sorted(d["envelope"]["data"]["n"] for d in claimed) == ["lease null", "lease passed", "never leased"]
    assert await relay.claim() == []  # now all leased by this relay, or running, or sent


async def nothing(envelope: Envelope) -> None:
    raise AssertionError("nothing is published here")


async def died_holding(outbox: Outbox, rows: int) -> tuple[SessionRegistry, list[dict[str, Any]]]:
    """A process whose relay leased `rows` unsent rows, then whose heartbeat stopped 10 s ago: it and its rows."""
    db = outbox.collection.database
    await outbox.add(outcomes(rows), session=None)
    dead = SessionRegistry("kerneltest", stale_after=1.0)
    await dead.beat(db)
    leased = await OutboxRelay(outbox, nothing, lease_seconds=600, owner=dead.instance).claim()
    assert len(leased) == rows
    await db[PROCESSES].update_one({"_id": dead.instance},
                                   {"$set": {"beat_at": datetime.now(UTC) - timedelta(seconds=10)}})
    return dead, leased


async def test_the_rows_a_dead_process_leased_are_released_as_soon_as_another_process_finds_it_dead(
    outbox: Outbox,
) -> None:
    _, leased = await died_holding(outbox, 30)
    survivor = OutboxRelay(outbox, nothing, lease_seconds=600)
    assert await survivor.claim() == []  # a live lease: skipped
    # The next process of the service reaps the dead one and frees its leases.
    reaper = SessionRegistry("kerneltest", stale_after=1.0)
    reaper.on_reaped.append(outbox.release)
    assert await reaper.reap(outbox.collection.database) == 1
    assert {d["_id"] for d in await survivor.claim()} == {d["_id"] for d in leased}


async def test_a_release_that_fails_is_tried_again_at_the_next_reaping_not_left_to_the_lease(outbox: Outbox) -> None:
    dead, leased = await died_holding(outbox, 5)
    tries: list[str] = []

    async def release_failing_once(owner: str) -> int:
        tries.append(owner)
        if len(tries) == 1:
            raise AutoReconnect("the database went away during the release")
        return await outbox.release(owner)

    reaper = SessionRegistry("kerneltest", stale_after=1.0)
    reaper.on_reaped.append(release_failing_once)
    with pytest.raises(AutoReconnect):
        await reaper.reap(outbox.collection.database)
    assert await OutboxRelay(outbox, nothing).claim() == []  # still leased: nothing was freed
    assert await reaper.reap(outbox.collection.database) == 1  # the dead process's record stayed: found again
    assert tries == [dead.instance, dead.instance]
    assert {d["_id"] for d in await OutboxRelay(outbox, nothing).claim()} == {d["_id"] for d in leased}


async def test_a_relay_stopping_cleanly_leaves_its_leased_rows_to_the_others(outbox: Outbox) -> None:
    await outbox.add(outcomes(10), session=None)
    stopping = OutboxRelay(outbox, nothing, lease_seconds=600)
    assert len(await stopping.claim()) == 10
    stopping.start()  # its task, so that stop() has something to stop
    await stopping.stop()
    assert len(await OutboxRelay(outbox, nothing, lease_seconds=600).claim()) == 10


async def test_a_relay_alone_in_its_service_publishes_without_writing_a_lease(outbox: Outbox) -> None:
    await outbox.add(outcomes(30), session=None)
    published: list[Envelope] = []
    others_leases = [0]

    async def publish(envelope: Envelope) -> None:
        # While the lone relay publishes, no row carries a lease but another relay's: it wrote none.
        assert await outbox.collection.count_documents({"lease": {"$exists": True}}) == others_leases[0]
        published.append(envelope)

    alone = OutboxRelay(outbox, publish, alone=lambda: True)
    assert not alone.leasing
    assert await alone.relay_once() == 30
    assert len(published) == 30 and await outbox.backlog() == 0
    # A row another relay still leases is left to it, alone or not.
    await outbox.add(outcomes(2), session=None)
    held = await OutboxRelay(outbox, nothing, batch=1, lease_seconds=600).claim()
    others_leases[0] = 1
    assert await alone.relay_once() == 1 and len(published) == 31
    assert [d["_id"] for d in await outbox.collection.find().to_list()] == [held[0]["_id"]]


async def test_processes_count_each_other_and_a_newcomer_relays_only_once_the_others_lease(outbox: Outbox) -> None:
    db = outbox.collection.database
    first, newcomer = SessionRegistry("kerneltest", stale_after=3.0), SessionRegistry("kerneltest", stale_after=3.0)
    says_leasing = [False]
    first.leasing = lambda: says_leasing[0]
    await first.watch(db)
    assert first.alone  # nobody else yet: its relay writes no lease

    await newcomer.watch(db)
    assert newcomer.peers == 1 and not newcomer.alone
    waiting = asyncio.create_task(newcomer.peers_leasing(db))
    await first.watch(db)  # sees the newcomer: from its next round on, it leases ...
    assert not first.alone
    await asyncio.sleep(0.8)
    assert not waiting.done()  # ... but has not yet said so in a heartbeat
    says_leasing[0] = True
    await first.beat(db)
    await asyncio.wait_for(waiting, 3.0)


@pytest.fixture
async def counted(mongo_url: str, db_prefix: str,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Outbox, OutboxReads]]:
    """An outbox whose reads are counted, with a scan of 300 rows at most."""
    monkeypatch.setattr(outbox_module, "SCANNED", 300)
    reads = OutboxReads()
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "lease-test", listeners=[reads])
    try:
        kept = Outbox(client[f"{db_prefix}scan"])
        await kept.ensure_indexes()
        yield kept, reads
    finally:
        await client.drop_database(f"{db_prefix}scan")
        await client.close()


async def test_a_backlog_is_read_once_a_scan_not_once_a_batch_and_published_in_order(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, reads = counted
    waiting = outcomes(450)
    await outbox.add(waiting, session=None)
    published: list[Envelope] = []

    async def publish(envelope: Envelope) -> None:
        published.append(envelope)

    relay = OutboxRelay(outbox, publish, batch=100, alone=lambda: True)
    before = reads.reads
    rounds = [await relay.relay_once() for _ in range(6)]
    assert rounds == [100, 100, 100, 100, 50, 0]
    assert reads.reads - before == 3  # 300 rows, the 150 left, then none: before, a read every round
    assert [e.event_id for e in published] == [e.event_id for e in waiting]
    assert await outbox.backlog() == 0


async def test_a_round_that_fails_has_the_next_read_the_outbox_again_and_nothing_is_lost(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, reads = counted
    waiting = outcomes(300)
    await outbox.add(waiting, session=None)
    published: list[Envelope] = []

    async def publish_failing_once(envelope: Envelope) -> None:
        if len(published) == 150:
            published.append(envelope)  # published, but the round fails before it is marked sent
            raise AutoReconnect("the broker went away during the round")
        published.append(envelope)

    relay = OutboxRelay(outbox, publish_failing_once, batch=100, alone=lambda: True)
    assert await relay.relay_once() == 100
    with pytest.raises(AutoReconnect):
        await relay.relay_once()
    before = reads.reads
    assert await relay.relay_once() == 100  # the failed round's rows, read again from the database
    assert reads.reads - before == 1
    assert await relay.relay_once() == 100
    assert await outbox.backlog() == 0
    first = list(dict.fromkeys(e.event_id for e in published))
    assert first == [e.event_id for e in waiting]  # each at least once, first seen in order


async def test_rows_read_while_other_relays_could_take_them_are_read_again_once_the_relay_is_alone(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, _ = counted
    await outbox.add(outcomes(300), session=None)
    published: list[Envelope] = []

    async def publish(envelope: Envelope) -> None:
        published.append(envelope)

    alone = [False]
    relay = OutboxRelay(outbox, publish, batch=100, alone=lambda: alone[0])
    assert await relay.relay_once() == 100  # leasing: it read 300 rows and claimed the first 100
    assert await OutboxRelay(outbox, publish, batch=100).relay_once() == 100  # another replica's, then it died
    alone[0] = True
    assert await relay.relay_once() == 100  # not the other's 100 again, as the rows it had read would say
    assert await relay.relay_once() == 0
    assert len(published) == 300 and len({e.event_id for e in published}) == 300
    assert await outbox.backlog() == 0


async def test_a_round_whose_confirms_never_come_fails_in_time_and_its_rows_are_published_again(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, _ = counted
    waiting = outcomes(5)
    await outbox.add(waiting, session=None)
    published: list[Envelope] = []
    stuck = asyncio.Event()  # never set: a channel its connection never restores

    async def publish_never_confirmed(envelope: Envelope) -> None:
        await stuck.wait()

    async def publish(envelope: Envelope) -> None:
        published.append(envelope)

    relay = OutboxRelay(outbox, publish_never_confirmed, alone=lambda: True, confirm_seconds=0.2)
    with pytest.raises(RelayTimeout, match=r"5 events not all confirmed within 0\.2s"):
        await asyncio.wait_for(relay.relay_once(), 5.0)
    assert await outbox.backlog() == 5  # nothing marked sent
    relay.publish = publish
    assert await relay.relay_once() == 5
    assert [e.event_id for e in published] == [e.event_id for e in waiting]
    assert await outbox.backlog() == 0
