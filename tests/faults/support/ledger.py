"""The process-fault tests' ledger: intake events published as another district system would, every event the
services publish recorded (repeats included), the tally of answers, and the services' databases read directly.

`Ledger` publishes persistent, confirmed, routed intake events and records the services' events from a durable
queue of its own, which outlives a dropped connection or a broker restart. `tally` says which intakes went
unanswered and which were answered twice; an outbox publishing an event again with the same event id after a
crash is a repeat, counted apart, not a double.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage
from pymongo import AsyncMongoClient

from shared.envelope import new_event
from shared.failover import broker_urls, connect, failover_connection
from shared.topology import EVENTS_EXCHANGE_NAME

Event = dict[str, Any]
SERVICE_PATTERNS = ("catalog.#", "registration.#", "matching.#", "training.#", "grading.#", "evaluation.#")
SOURCE = "district-fault-drill"
CHUNK = 200


def answer_key(event: Event) -> tuple[str, str, str] | None:
    """What must be unique among the answers: one event of each type per intake, one award per contract."""
    correlation = event.get("correlation_id")
    if not correlation:
        return None
    data = event.get("data") or {}
    entity = {"matching.contract.awarded": "contract_id", "matching.award.proposed": "project_id",
              "matching.project.unawarded": "project_id"}.get(
        event.get("type", ""))
    return str(correlation), str(event.get("type")), str(data.get(entity, "")) if entity else ""


class Ledger:
    """Publishes intake events and records every event the services publish, in arrival order."""

    def __init__(self, url: str, queue: str = "faults.ledger") -> None:
        self.url = url
        self.queue_name = queue
        self.events: dict[str, Event] = {}
        self.copies: Counter[str] = Counter()  # deliveries of each event id (the ledger's own redeliveries aside)
        self.by_correlation: dict[str, list[Event]] = defaultdict(list)
        self.by_type: dict[str, list[Event]] = defaultdict(list)
        self.sent: dict[str, tuple[str, float]] = {}  # intake event id -> (type, when the broker confirmed it)
        self.answered_at: dict[str, float] = {}  # intake event id -> when its first answer arrived
        self.publish_retries = 0
        self.connection: aio_pika.abc.AbstractRobustConnection | None = None
        self.exchange: aio_pika.abc.AbstractExchange | None = None

    async def __aenter__(self) -> Ledger:
        # Several nodes of a cluster, comma-separated (as a service's RABBITMQ_URL): the ledger moves between them
        # as a service does, and its queue is a quorum queue, which outlives its node as the services' queues do
        # (a classic queue lives on one node: what is routed to it while that node is down is lost).
        urls = broker_urls(self.url)
        options: dict[str, Any] = {"connection_class": failover_connection(urls)} if len(urls) > 1 else {}
        self.connection = await connect(urls[0], reconnect_interval=0.5, **options)
        channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await channel.declare_exchange(EVENTS_EXCHANGE_NAME, aio_pika.ExchangeType.TOPIC,
                                                       durable=True)
        listen = await self.connection.channel()
        await listen.set_qos(prefetch_count=1000)
        arguments = {"x-queue-type": "quorum"} if len(urls) > 1 else None
        queue = await listen.declare_queue(self.queue_name, durable=True, arguments=arguments)
        for pattern in SERVICE_PATTERNS:
            await queue.bind(EVENTS_EXCHANGE_NAME, pattern)
        await queue.consume(self._record)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def _record(self, message: AbstractIncomingMessage) -> None:
        try:
            event = json_event(message.body)
            event_id = str(event.get("event_id"))
            if event_id in self.events:
                if not message.redelivered:  # published again (an outbox after a crash), not our own redelivery
                    self.copies[event_id] += 1
            else:
                self.events[event_id] = event
                self.copies[event_id] = 1
                self.by_correlation[str(event.get("correlation_id"))].append(event)
                self.answered_at.setdefault(str(event.get("correlation_id")), time.monotonic())
                self.by_type[str(event.get("type"))].append(event)
        finally:
            await message.ack()

    # -- publishing ------------------------------------------------------------------------------------------------

    async def publish(self, type_: str, items: Sequence[dict[str, Any]]) -> list[str]:
        """One intake event per item, confirmed by the broker; their event ids in order."""
        envelopes = [new_event(type_, data, source=SOURCE, event_id=uuid.uuid4()) for data in items]
        await self.publish_envelopes([e.model_dump(mode="json") for e in envelopes])
        return [str(e.event_id) for e in envelopes]

    async def publish_envelopes(self, envelopes: Sequence[Event], *, timeout: float = 120.0) -> None:
        """Publish ready-made envelopes (their own event ids), retrying through a dropped connection."""
        for start in range(0, len(envelopes), CHUNK):
            chunk = envelopes[start:start + CHUNK]
            deadline = time.monotonic() + timeout
            while True:
                try:
                    results = await asyncio.gather(*(self._publish_one(e) for e in chunk))
                    break
                except (TimeoutError, aiormq.exceptions.AMQPError, aio_pika.exceptions.AMQPException,
                        ConnectionError, RuntimeError):
                    if time.monotonic() > deadline:
                        raise
                    self.publish_retries += 1
                    await asyncio.sleep(0.3)
            unrouted = [e["type"] for e, r in zip(chunk, results, strict=True)
                        if not isinstance(r, aiormq.spec.Basic.Ack)]
            assert not unrouted, f"no queue is bound for {sorted(set(unrouted))}: is every service ready?"
            now = time.monotonic()
            for envelope in chunk:
                self.sent.setdefault(str(envelope["event_id"]), (str(envelope["type"]), now))

    async def _publish_one(self, envelope: Event) -> object:
        assert self.exchange is not None
        body = json_bytes(envelope)
        message = aio_pika.Message(body, message_id=str(envelope["event_id"]), content_type="application/json",
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        return await asyncio.wait_for(self.exchange.publish(message, routing_key=envelope["type"], mandatory=True),
                                      10.0)

    # -- reading ---------------------------------------------------------------------------------------------------

    def answer(self, intake_id: str) -> Event | None:
        answers = self.by_correlation.get(intake_id)
        return answers[0] if answers else None

    def longest_wait(self, intake_ids: Iterable[str]) -> float:
        """The longest any of `intake_ids` waited from the broker's confirm to its first answer, in seconds."""
        waits = [self.answered_at[i] - self.sent[i][1] for i in intake_ids if i in self.answered_at and i in self.sent]
        return max(waits, default=0.0)

    def unanswered(self, intake_ids: Iterable[str]) -> list[str]:
        return [i for i in intake_ids if i not in self.by_correlation]

    async def answers(self, intake_ids: Sequence[str], label: str, timeout: float = 180.0) -> list[Event]:
        """Wait for an answer to every intake; the first answer to each, in order."""
        await self.until(lambda: not self.unanswered(intake_ids), f"{label}: {len(intake_ids)} answers", timeout)
        return [self.by_correlation[i][0] for i in intake_ids]

    async def until(self, done: Callable[[], bool], what: str, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:.0f}s")
            await asyncio.sleep(0.1)

    async def quiet(self, seconds: float = 2.0) -> None:
        """Wait until nothing new has arrived for `seconds` (so a late repeat or double would have shown)."""
        while True:
            count = sum(self.copies.values())
            await asyncio.sleep(seconds)
            if sum(self.copies.values()) == count:
                return


def json_event(body: bytes) -> Event:
    loaded = json.loads(body)
    return loaded if isinstance(loaded, dict) else {"type": "?", "raw": loaded}


def json_bytes(envelope: Event) -> bytes:
    return json.dumps(envelope, ensure_ascii=False).encode()


# -- the tally: answered once, doubled, repeated ---------------------------------------------------------------------


@dataclass
class Tally:
    intakes: int
    answered: int
    lost: list[str]
    doubled: list[tuple[str, str, str]]
    repeats_by_outbox: int
    repeats_by_type: dict[str, int]

    def figures(self) -> dict[str, Any]:
        return {"intake events sent": self.intakes, "answered": self.answered, "lost": len(self.lost),
                "doubled": len(self.doubled), "repeats by outbox (same event_id again)": self.repeats_by_outbox}


def tally(ledger: Ledger, intake_ids: Iterable[str] | None = None) -> Tally:
    """Every intake answered; no answer doubled (two distinct events for one intake and type, or one contract)."""
    ids = list(ledger.sent if intake_ids is None else intake_ids)
    distinct: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for event_id, event in ledger.events.items():
        key = answer_key(event)
        if key is not None:
            distinct[key].add(event_id)
    repeats: Counter[str] = Counter()
    for event_id, copies in ledger.copies.items():
        if copies > 1:
            repeats[str(ledger.events[event_id].get("type"))] += copies - 1
    lost = ledger.unanswered(ids)
    return Tally(intakes=len(ids), answered=len(ids) - len(lost), lost=lost,
                 doubled=sorted(k for k, v in distinct.items() if len(v) > 1),
                 repeats_by_outbox=sum(repeats.values()), repeats_by_type=dict(sorted(repeats.items())))


# -- the services' databases, read directly ----------------------------------------------------------------------------


class Databases:
    """The suite's databases (`<prefix><service>`), read by the test as an operator would."""

    def __init__(self, mongo_url: str, prefix: str) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
        self.prefix = prefix

    def collection(self, service: str, name: str) -> Any:
        return self.client[self.prefix + service.replace("-", "_")][name]

    async def count(self, service: str, name: str, query: dict[str, Any] | None = None) -> int:
        return int(await self.collection(service, name).count_documents(query or {}))

    async def ids(self, service: str, name: str) -> set[str]:
        return {str(d["_id"]) async for d in self.collection(service, name).find({}, {"_id": 1})}

    async def close(self) -> None:
        await self.client.close()
