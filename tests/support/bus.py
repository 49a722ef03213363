"""A bus probe: publishes intake events and watches outcomes on `district.events`, with plain aio-pika,
exactly as another district system would."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue, AbstractRobustConnection

from shared.failover import connect

Event = dict[str, Any]


def envelope(type_: str, data: Any, *, event_id: str | None = None, source: str = "test-system") -> Event:
    return {"event_id": event_id or str(uuid.uuid4()), "type": type_, "version": 1,
            "occurred_at": datetime.now(UTC).isoformat(), "source": source, "correlation_id": None, "data": data}


class BusProbe:
    """Publishes to `district.events` and records every event matching its patterns, in arrival order."""

    def __init__(self, url: str, patterns: tuple[str, ...] = ("#",)) -> None:
        self.url = url
        self.patterns = patterns
        self.events: list[Event] = []
        self._changed = asyncio.Condition()
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractChannel | None = None
        self.exchange: AbstractExchange | None = None
        self.queue: AbstractQueue | None = None

    async def __aenter__(self) -> BusProbe:
        self.connection = await connect(self.url)
        self.channel = await self.connection.channel(publisher_confirms=True)
        # Provisioned with the vhost: found passively, as any user but an administrator must.
        self.exchange = await self.channel.get_exchange("district.events")
        self.queue = await self.channel.declare_queue("", exclusive=True, auto_delete=True)
        for pattern in self.patterns:
            await self.queue.bind(self.exchange, pattern)
        await self.queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
        except json.JSONDecodeError:
            event = {"type": message.routing_key, "raw": message.body}
        event["_properties"] = {"message_id": message.message_id, "delivery_mode": message.delivery_mode,
                                "content_type": message.content_type}
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def publish(self, event: Event | bytes, routing_key: str | None = None) -> None:
        assert self.exchange is not None
        if isinstance(event, bytes):
            body, key, message_id = event, routing_key or "intake.unknown.event", None
        else:
            body, key, message_id = json.dumps(event, ensure_ascii=False).encode(), routing_key or event["type"], \
                event.get("event_id")
        await self.exchange.publish(
            aio_pika.Message(body, message_id=message_id if isinstance(message_id, str) else None,
                             content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=key)

    async def send(self, type_: str, data: Any, **kw: Any) -> Event:
        event = envelope(type_, data, **kw)
        await self.publish(event)
        return event

    def answers_to(self, event_id: str) -> list[Event]:
        return [e for e in self.events if e.get("correlation_id") == event_id]

    async def wait_for(self, predicate: Callable[[list[Event]], bool], timeout: float = 20.0, *,
                       stall: float | None = None) -> list[Event]:
        """Until `predicate` holds of the events so far, for at most `timeout` seconds.

        With `stall`, a wait that takes long because the machine is busy goes on while events keep arriving: it
        fails once none has arrived for `stall` seconds, and at the latest after `timeout`.
        """
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: predicate(self.events))

        if stall is None:
            await asyncio.wait_for(until(), timeout)
            return self.events
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiting = asyncio.ensure_future(until())
        try:
            while True:
                seen, left = len(self.events), deadline - loop.time()
                done, _ = await asyncio.wait([waiting], timeout=max(0.0, min(stall, left)))
                if done:
                    waiting.result()
                    return self.events
                if left <= stall:
                    raise TimeoutError(f"after {timeout:.0f}s and {len(self.events)} events the wait's condition "
                                       "does not hold")
                if len(self.events) == seen:
                    raise TimeoutError(f"no event for {stall:.0f}s after {seen}, and the wait's condition does "
                                       "not hold")
        finally:
            waiting.cancel()

    async def answer(self, event_id: str, timeout: float = 20.0) -> Event:
        await self.wait_for(lambda evs: any(e.get("correlation_id") == event_id for e in evs), timeout)
        return self.answers_to(event_id)[0]

    async def quiet(self, seconds: float = 1.0) -> None:
        """Wait until no event has arrived for `seconds` (so a duplicate would have had time to show)."""
        while True:
            count = len(self.events)
            await asyncio.sleep(seconds)
            if len(self.events) == count:
                return

    async def drain_queue(self, name: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
        """Read (and ack) every message now in a queue, e.g. a dead-letter queue."""
        assert self.channel is not None
        queue = await self.channel.declare_queue(name, passive=True)
        messages = []
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            await message.ack()
            messages.append(message)
        return messages
