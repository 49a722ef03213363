"""The kernel against the real broker and the embedded database: dead-lettering, competing replicas, the relay."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel

from shared.envelope import Envelope, new_event
from shared.outcome import Emit
from shared.service import Service
from shared.settings import BusSettings, ServiceSettings, StoreSettings
from shared.unit_of_work import Transaction
from tests.support.bus import BusProbe
from tests.support.endpoints import user_url

pytestmark = pytest.mark.integration


class Work(BaseModel):
    n: int
    poison: bool = False


async def do_work(event: Envelope, tx: Transaction) -> None:
    if event.data.get("poison"):
        raise RuntimeError(f"cannot process item {event.data['n']}")
    tx.emit(Emit("kerneltest.work.done", {"n": event.data["n"]}))


def kernel_service(rabbit_url: str, mongo_url: str, prefix: str, limit: int = 3) -> Service:
    # As a service runs: as its own broker user, on a provisioned vhost.
    settings = ServiceSettings(bus=BusSettings(RABBITMQ_URL=user_url(rabbit_url, "kerneltest"), DELIVERY_LIMIT=limit,
                                               PREFETCH=16),
                               store=StoreSettings(MONGO_URL=mongo_url, MONGO_DATABASE_PREFIX=prefix))
    service = Service("kerneltest", settings)
    service.consume("work", "intake.kernel.work", do_work, document=Work, description="work items",
                    personal=("holder.name", "id_number"))
    return service


@contextlib.asynccontextmanager
async def running(service: Service) -> AsyncIterator[Service]:
    app = service.app()
    async with app.start_lifespan_context():
        # The lifespan context returns before the broker has declared its queues: wait for the subscribers.
        await asyncio.wait_for(service.started.wait(), 30)
        yield service


async def test_a_message_that_always_fails_is_dead_lettered_with_its_reason_while_the_rest_flow(
    rabbit_url: str, mongo_url: str, db_prefix: str, bus: BusProbe,
) -> None:
    async with running(kernel_service(rabbit_url, mongo_url, db_prefix, limit=3)):
        poison = await bus.send("intake.kernel.work", {"n": 0, "poison": True})
        good = [await bus.send("intake.kernel.work", {"n": i}) for i in range(1, 21)]
        await bus.wait_for(lambda evs: all(bus.answers_to(g["event_id"]) for g in good), timeout=30)
        dead: list[Any] = []
        for _ in range(100):
            dead += await bus.drain_queue("kerneltest.dlq")
            if dead:
                break
            await asyncio.sleep(0.2)
    assert [m.message_id for m in dead] == [poison["event_id"]]
    reason = str(dead[0].headers["x-error"])
    assert "failed on 3 deliveries" in reason and "cannot process item 0" in reason
    assert dead[0].headers["x-failed-deliveries"] == 3
    assert not bus.answers_to(poison["event_id"])


async def test_a_dead_letter_keeps_no_personal_data_and_says_it_cannot_be_replayed(
    rabbit_url: str, mongo_url: str, db_prefix: str, bus: BusProbe,
) -> None:
    number = "510107198005170017"
    async with running(kernel_service(rabbit_url, mongo_url, db_prefix, limit=2)):
        poison = await bus.send("intake.kernel.work", {
            "n": 0, "poison": True, "id_number": number, "holder": {"name": "张三丰", "role": "finance"},
            "note": f"copy of ID {number[:6]} {number[6:14]} {number[14:]}"})
        await bus.publish(f'{{"not json": "{number}"'.encode(), routing_key="intake.kernel.work")
        clean = await bus.send("intake.kernel.work", {"n": 1, "poison": True})
        dead: list[Any] = []
        for _ in range(150):
            dead += await bus.drain_queue("kerneltest.dlq")
            if len(dead) == 3:
                break
            await asyncio.sleep(0.2)
    letters = {m.message_id: m for m in dead}
    [unreadable] = set(letters) - {poison["event_id"], clean["event_id"]}
    for letter in dead:
        assert number not in letter.body.decode() and "张三丰" not in letter.body.decode()
    kept = json.loads(letters[poison["event_id"]].body)["data"]
    assert (kept["id_number"], kept["holder"], kept["n"]) == (None, {"name": None, "role": "finance"}, 0)
    assert kept["note"] == "copy of ID [ID number removed]"
    for event_id in (poison["event_id"], unreadable):
        assert letters[event_id].headers["x-replayable"] is False
        assert "cannot be replayed" in str(letters[event_id].headers["x-not-replayable-because"])
    assert "data.id_number" in str(letters[poison["event_id"]].headers["x-not-replayable-because"])
    # A dead letter with nothing personal in it is kept as it was sent, and may be replayed.
    as_sent = letters[clean["event_id"]]
    assert json.loads(as_sent.body) == clean and "x-replayable" not in as_sent.headers


async def test_two_replicas_consuming_at_once_answer_every_event_once(
    rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    async with BusProbe(rabbit_url, patterns=("kerneltest.#",)) as bus, \
            running(kernel_service(rabbit_url, mongo_url, db_prefix)), \
            running(kernel_service(rabbit_url, mongo_url, db_prefix)):
        sent = [await bus.send("intake.kernel.work", {"n": i}) for i in range(300)]
        # The same 300 events again, as an at-least-once publisher might.
        for event in sent:
            await bus.publish(event)
        await bus.wait_for(lambda evs: len({e["correlation_id"] for e in evs}) == 300, timeout=60)
        await bus.quiet(1.5)
    distinct = {e["event_id"]: e for e in bus.events}
    assert len(distinct) == 300
    assert set(Counter(e["correlation_id"] for e in distinct.values()).values()) == {1}


async def test_events_left_in_the_outbox_by_a_crash_are_published_at_the_next_start(
    rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    service = kernel_service(rabbit_url, mongo_url, db_prefix)
    left = [new_event("kerneltest.work.done", {"n": i}, source="kerneltest") for i in range(5)]
    await service.outbox.add(left, session=None)
    async with BusProbe(rabbit_url, patterns=("kerneltest.#",)) as bus, running(service):
        await bus.wait_for(lambda evs: len(evs) >= 5, timeout=20)
        for _ in range(50):  # the relay marks a batch sent just after the broker confirms it
            if await service.outbox.backlog() == 0:
                break
            await asyncio.sleep(0.1)
        assert await service.outbox.backlog() == 0
    assert sorted(e["event_id"] for e in bus.events) == sorted(str(e.event_id) for e in left)
