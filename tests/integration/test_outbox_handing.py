"""A relay alone in its service takes the rows its own transactions commit from the commit itself
(`Outbox.handing`), against the embedded database: it reads the outbox only to learn what it does not know, and
publishes each row once however a read and a commit cross."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.envelope import Envelope, new_event
from shared.mongo import make_client
from shared.outbox import Outbox, OutboxRelay
from shared.settings import StoreSettings
from tests.support.outbox import OutboxReads

pytestmark = pytest.mark.integration


@pytest.fixture
async def counted(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Outbox, OutboxReads]]:
    reads = OutboxReads()
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "handing-test", listeners=[reads])
    try:
        kept = Outbox(client[f"{db_prefix}handing"])
        await kept.ensure_indexes()
        await kept.collection.database.create_collection("work")
        reads.reads = 0  # the start's own read (`Outbox.adopt`) is not the relay's
        yield kept, reads
    finally:
        await client.drop_database(f"{db_prefix}handing")
        await client.close()


def outcomes(n: int, start: int = 0) -> list[Envelope]:
    return [new_event("kerneltest.work.done", {"n": start + i}, source="kerneltest") for i in range(n)]


async def commit(outbox: Outbox, envelopes: list[Envelope]) -> None:
    """One transaction writing a document and `envelopes`, as a handler's does."""
    async with outbox.collection.database.client.start_session() as session:

        async def body(session: AsyncClientSession) -> None:
            await outbox.collection.database["work"].insert_one({"n": len(envelopes)}, session=session)
            await outbox.add(envelopes, session)

        with outbox.handing(session):
            await session.with_transaction(body)


def lone_relay(outbox: Outbox, poll_seconds: float) -> tuple[OutboxRelay, Published]:
    """A relay alone in its service over `outbox`, and what it publishes."""
    published = Published()
    return OutboxRelay(outbox, published, alone=lambda: True, poll_seconds=poll_seconds), published


class Published:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def __call__(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    async def reach(self, count: int, timeout: float = 10.0) -> None:
        for _ in range(round(timeout / 0.02)):
            if len(self.envelopes) >= count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{len(self.envelopes)} of {count} published in {timeout}s")


async def test_a_running_relay_alone_publishes_what_its_transactions_commit_without_reading_it_back(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, reads = counted
    relay, published = lone_relay(outbox, 30.0)
    relay.start()
    try:
        for _ in range(100):  # the first read, at the start: it found nothing
            if relay.scans:
                break
            await asyncio.sleep(0.02)
        sent = [outcomes(3, start=3 * t) for t in range(20)]
        for envelopes in sent:
            await commit(outbox, envelopes)
        await published.reach(60)
        for _ in range(100):  # and marked sent, just after the confirms
            if await outbox.backlog() == 0:
                break
            await asyncio.sleep(0.02)
    finally:
        await relay.stop()
    assert reads.reads == 1 and relay.scans == 1  # before, a read for every round that published
    assert [e.event_id for e in published.envelopes] == [e.event_id for batch in sent for e in batch]
    assert await outbox.backlog() == 0


async def test_a_row_written_otherwise_is_found_by_the_relays_next_read_within_its_poll(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, _ = counted
    relay, published = lone_relay(outbox, 0.3)
    relay.start()
    try:
        await commit(outbox, outcomes(2))
        await published.reach(2)
        await outbox.add(outcomes(5, start=2), session=None)  # not a transaction: nothing hands it over
        await published.reach(7, timeout=3.0)
    finally:
        await relay.stop()
    assert sorted(e.data["n"] for e in published.envelopes) == list(range(7))


async def test_a_transaction_that_fails_hands_nothing_over_and_what_it_may_have_committed_is_read(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, _ = counted
    relay, _ = lone_relay(outbox, 0.3)
    assert await relay.relay_once(running=True) == 0  # the first read: the relay now knows every row waiting

    async def written_then_failed(session: AsyncClientSession) -> None:
        with outbox.handing(session):
            # Written outside a transaction, so it stays although the block fails: as a commit whose answer
            # was lost would.
            await outbox.add(outcomes(4), session)
            raise RuntimeError("the commit's answer never came")

    async with outbox.collection.database.client.start_session() as session:
        with pytest.raises(RuntimeError):
            await written_then_failed(session)
    assert outbox.take_committed() == ([], False)
    assert await relay.relay_once(running=True) == 0  # not handed over, and no read is due yet
    await asyncio.sleep(0.35)
    assert await relay.relay_once(running=True) == 4  # the next read, a poll later, finds them
    assert await outbox.backlog() == 0


async def test_rows_a_read_finds_while_their_transaction_is_open_or_handed_over_meanwhile_are_published_once(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, reads = counted
    relay, published = lone_relay(outbox, 30.0)
    crossed = outcomes(3, start=100)
    await outbox.add(crossed, session=None)
    rows = await outbox.collection.find({"event_id": {"$in": [str(e.event_id) for e in crossed]}}).to_list()
    reads.reads = 0
    # Handed over while the read runs: the read finds these rows too.
    reads.during.append(lambda: outbox.committed(rows))
    async with outbox.collection.database.client.start_session() as session:
        with outbox.handing(session):
            # Stored before the read, but the transaction writing them has not yet said it committed.
            await outbox.add(outcomes(2, start=200), session)
            assert await relay.relay_once(running=True) == 3
        # Now it has: the rows come from the hand-over, once.
        assert await relay.relay_once(running=True) == 2
    assert await relay.relay_once(running=True) == 0
    assert sorted(e.data["n"] for e in published.envelopes) == [100, 101, 102, 200, 201]
    assert reads.reads == 1 and await outbox.backlog() == 0


async def test_a_relay_beside_others_reads_and_leases_whatever_its_transactions_hand_over(
    counted: tuple[Outbox, OutboxReads],
) -> None:
    outbox, reads = counted
    leased: list[int] = []

    async def publish(envelope: Envelope) -> None:
        leased.append(await outbox.collection.count_documents({"lease": {"$exists": True}}))

    relay = OutboxRelay(outbox, publish, alone=lambda: False, poll_seconds=30.0)
    await commit(outbox, outcomes(3))
    assert await relay.relay_once(running=True) == 3
    assert leased == [3, 3, 3] and reads.reads == 1  # claimed with a lease, from a read
    assert outbox.take_committed() == ([], False)  # what was handed over was let go


async def test_more_handed_over_than_the_outbox_keeps_is_read_instead(
    counted: tuple[Outbox, OutboxReads], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared import outbox as outbox_module

    monkeypatch.setattr(outbox_module, "HANDED_AT_MOST", 4)
    outbox, reads = counted
    relay, published = lone_relay(outbox, 30.0)
    assert await relay.relay_once(running=True) == 0
    await commit(outbox, outcomes(3))
    await commit(outbox, outcomes(3, start=3))  # the outbox forgets all six: one too many
    assert await relay.relay_once(running=True) == 6
    assert reads.reads == 2
    assert sorted(e.data["n"] for e in published.envelopes) == list(range(6))
