"""Publishing the seed onto `district.events`, as any other district system would (CONTRACT.md, "Bus").

Each event is persistent, confirmed by the broker, `content_type` JSON, with AMQP `message_id` = its event id and
routing key = its type; confirms are awaited in pipelined chunks, so the full district (3,771 events) takes seconds.
Event ids are stable (tools/seed/district.py), so publishing twice publishes nothing new: each service's inbox
drops an event id it has already handled.

People name their organization by org_id, and registration reads applications and people from two queues, so a
person could overtake its organization's application. Before publishing people, the seed therefore waits for
registration's answer (registered or rejected, correlated by event id) to every application it just published,
or until no answer has come for `quiet` seconds (the case on a second run, when every application is a repeat).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage

from shared.contracts.registration import (
    ORGANIZATION_APPLIED,
    ORGANIZATION_REGISTERED,
    ORGANIZATION_REJECTED,
    PERSON_ADDITION_REQUESTED,
)
from shared.envelope import new_event
from shared.failover import connect
from shared.topology import EVENTS_EXCHANGE_NAME
from tools.seed.district import SOURCE, SeedEvent

CHUNK = 500
ANSWER_LIMIT_SECONDS = 300.0


@dataclass
class PublishReport:
    """What the broker did with the seed's events, by event type."""

    routed: dict[str, list[str]] = field(default_factory=dict)
    unroutable: dict[str, int] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)
    applications_answered: int | None = None
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not any(self.unroutable.values()) and not any(self.failed.values())


class Answers:
    """The correlation ids of registration's answers to applications, as they arrive."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            correlation_id = json.loads(message.body).get("correlation_id")
        except (ValueError, AttributeError):
            return
        if isinstance(correlation_id, str):
            self.ids.add(correlation_id)

    async def wait_for(self, expected: Sequence[str], quiet: float) -> int:
        """How many of `expected` were answered: wait until all are, or none arrived for `quiet` seconds."""
        started = last_change = time.monotonic()
        seen = len(self.ids)
        while not self.ids.issuperset(expected) and time.monotonic() - started < ANSWER_LIMIT_SECONDS:
            await asyncio.sleep(0.2)
            if len(self.ids) != seen:
                seen, last_change = len(self.ids), time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                break
        return sum(1 for event_id in expected if event_id in self.ids)


async def publish(
    events: Sequence[SeedEvent], url: str, *, quiet: float = 5.0, say: Callable[[str], None] = print
) -> PublishReport:
    """Publish `events` in order, type by type, waiting for registration's answers before people."""
    report = PublishReport()
    started = time.monotonic()
    connection = await connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS_EXCHANGE_NAME)  # provisioned: the operator may not declare it
        answers = await _listen_for_answers(channel, exchange)
        for type_ in dict.fromkeys(event.type for event in events):
            if type_ == PERSON_ADDITION_REQUESTED and report.routed.get(ORGANIZATION_APPLIED):
                say("waiting for registration to answer the applications ...")
                report.applications_answered = await answers.wait_for(report.routed[ORGANIZATION_APPLIED], quiet)
            await _publish_type(exchange, [event for event in events if event.type == type_], report)
            say(f"{type_}: {len(report.routed.get(type_, []))} confirmed")
    report.seconds = time.monotonic() - started
    return report


async def _listen_for_answers(channel: AbstractChannel, exchange: AbstractExchange) -> Answers:
    answers = Answers()
    queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
    for type_ in (ORGANIZATION_REGISTERED, ORGANIZATION_REJECTED):
        await queue.bind(exchange, type_)
    await queue.consume(answers.on_message, no_ack=True)
    return answers


async def _publish_type(exchange: AbstractExchange, events: Sequence[SeedEvent], report: PublishReport) -> None:
    for start in range(0, len(events), CHUNK):
        chunk = events[start:start + CHUNK]
        results = await asyncio.gather(*(_publish_one(exchange, event) for event in chunk), return_exceptions=True)
        for event, result in zip(chunk, results, strict=True):
            if isinstance(result, BaseException):
                report.failed.setdefault(event.type, []).append(f"{event.key}: {result!r}")
            elif isinstance(result, aiormq.spec.Basic.Ack):
                report.routed.setdefault(event.type, []).append(event.event_id)
            else:  # the broker returned it: no queue is bound for this type
                report.unroutable[event.type] = report.unroutable.get(event.type, 0) + 1


async def _publish_one(exchange: AbstractExchange, event: SeedEvent) -> object:
    envelope = new_event(event.type, event.data, source=SOURCE, event_id=uuid.UUID(event.event_id))
    message = aio_pika.Message(envelope.to_json(), message_id=event.event_id, content_type="application/json",
                               delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
    return await exchange.publish(message, routing_key=event.type, mandatory=True)
