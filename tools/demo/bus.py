"""The demo's side of the bus: publish intake events as another district system would, and watch every outcome."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from typing import Any, Generic, TypeVar

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.envelope import new_event
from shared.failover import connect
from shared.i18n import _, number
from shared.operator import fetch
from shared.tables import pad
from shared.topology import EVENTS_EXCHANGE_NAME

Event = dict[str, Any]
T = TypeVar("T")
SOURCE = "district-annual-cycle"
CHUNK = 400
HANDLED_QUERY = 200
# `until` looks again as soon as an event arrives, but not sooner than this after its last look: a burst of
# thousands of answers is counted a few hundred times a second, not once per event.
LOOK_AGAIN_SECONDS = 0.005
# ... and at least this often without one (its progress bar, its timeout).
LOOK_AT_LEAST_SECONDS = 0.1


class Progress:
    """A one-line progress bar on stderr: `[#####.....]  412/1177  registering organizations`."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.plain = enabled and not self.enabled

    def show(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:>5}/{total:<5} {pad(label, 44)}")
        sys.stderr.flush()

    def finish(self, label: str, done: int, total: int, seconds: float) -> None:
        if self.enabled:
            self.show(label, done, total)
            sys.stderr.write("\n")
        elif self.plain:
            print("  " + _("{label}: {done}/{total} in {seconds}s").format(
                label=label, done=done, total=total, seconds=number(seconds, 1)), file=sys.stderr)


class Tally(Generic[T]):
    """How many items of a growing list match, each item looked at once: a look costs what arrived since the last,
    not a recount of everything (recounting 23,540 answers at each of a wait's hundred looks a second took a good
    part of a core from the services of the ten-times district)."""

    def __init__(self, items: list[T], matches: Callable[[T], bool], *, start: int = 0, counted: int = 0) -> None:
        self.items, self.matches, self.seen, self.counted = items, matches, start, counted

    def __call__(self) -> int:
        end = len(self.items)
        self.counted += sum(1 for item in self.items[self.seen:end] if self.matches(item))
        self.seen = end
        return self.counted


class DemoBus:
    """Publishes with confirms, in pipelined chunks; records every event on `district.events`."""

    def __init__(self, url: str, progress: Progress) -> None:
        self.url = url
        self.progress = progress
        self.by_correlation: dict[str, list[Event]] = defaultdict(list)
        self.by_type: dict[str, list[Event]] = defaultdict(list)
        self.answered: list[str] = []  # the correlation ids answered, in the order of their first answers
        self.heard = 0  # distinct events heard on the exchange: the suite at work, whatever it answers
        self.arrived = asyncio.Event()  # set by each event heard; `until` waits on it
        self.connection: aio_pika.abc.AbstractRobustConnection | None = None
        self.exchange: aio_pika.abc.AbstractExchange | None = None

    async def __aenter__(self) -> DemoBus:
        self.connection = await connect(self.url)
        channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await channel.get_exchange(EVENTS_EXCHANGE_NAME)  # provisioned, never declared here
        listen = await self.connection.channel()
        await listen.set_qos(prefetch_count=2000)
        queue = await listen.declare_queue("", exclusive=True, auto_delete=True)
        for pattern in ("catalog.#", "registration.#", "matching.#", "training.#", "grading.#", "evaluation.#"):
            await queue.bind(EVENTS_EXCHANGE_NAME, pattern)
        await queue.consume(self._record, no_ack=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def _record(self, message: AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
        except ValueError:
            return
        seen = self.by_correlation[str(event.get("correlation_id"))]
        if any(e.get("event_id") == event.get("event_id") for e in seen):
            return  # the same event published again by an outbox after a restart
        if not seen:
            self.answered.append(str(event.get("correlation_id")))
        seen.append(event)
        self.by_type[str(event.get("type"))].append(event)
        self.heard += 1
        self.arrived.set()

    async def publish(self, type_: str, items: Sequence[dict[str, Any]]) -> list[str]:
        """Publish one intake event per item; return their event ids in order."""
        assert self.exchange is not None
        ids = []
        for start in range(0, len(items), CHUNK):
            confirms = []
            for data in items[start:start + CHUNK]:
                envelope = new_event(type_, data, source=SOURCE, event_id=uuid.uuid4())
                ids.append(str(envelope.event_id))
                confirms.append(self.exchange.publish(
                    aio_pika.Message(envelope.to_json(), message_id=str(envelope.event_id),
                                     content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=type_))
            await asyncio.gather(*confirms)
        return ids

    def answer(self, event_id: str) -> Event | None:
        answers = self.by_correlation.get(event_id)
        return answers[0] if answers else None

    async def answers(self, label: str, event_ids: Sequence[str], timeout: float = 180.0) -> list[Event]:
        """Wait for one answer to each event; the answers in the same order."""
        asked = set(event_ids)
        answered = Tally(self.answered, asked.__contains__, start=len(self.answered),
                         counted=sum(1 for i in asked if i in self.by_correlation))
        await self.until(label, answered, len(asked), timeout)
        return [self.by_correlation[i][0] for i in event_ids]

    async def until(self, label: str, count: Callable[[], int], total: int, timeout: float = 180.0,
                    activity: Callable[[], int] | None = None) -> None:
        """Until `count()` reaches `total`; given up only after `timeout` seconds without any progress, so that a
        district ten times the size waits as long as its answers keep coming. `activity`, when given, counts
        progress too (what the awaited answers are busy producing meanwhile)."""
        started = moved = time.monotonic()
        last = -1
        # Looked at again once an event arrives (a day's move in a drill is answered in tens of milliseconds; a
        # look every 0.1 s made each such wait a tenth of a second, and the district's year waited on hundreds).
        while True:
            self.arrived.clear()  # before the count: an event arriving after it wakes the wait below
            if (done := count()) >= total:
                break
            self.progress.show(label, done, total)
            busy = done + (activity() if activity is not None else 0)
            if busy > last:
                last, moved = busy, time.monotonic()
            if time.monotonic() - moved > timeout:
                raise TimeoutError(_("{label}: {done} of {total}, and none more for {seconds}s; is every service "
                                     "ready? (`make health`, `make dlq`)").format(label=label, done=done, total=total,
                                                                   seconds=round(timeout)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), LOOK_AT_LEAST_SECONDS)
            await asyncio.sleep(LOOK_AGAIN_SECONDS)
        self.progress.finish(label, count(), total, time.monotonic() - started)

    def tally(self, type_: str, matches: Callable[[Event], bool]) -> Tally[Event]:
        """A count of the events of `type_` heard that match, for `until`: each event looked at once."""
        return Tally(self.by_type[type_], matches)

    def outcomes_of(self, type_: str, answering: Collection[str]) -> list[Event]:
        """The events of `type_` that answer one of the intake events `answering` (by correlation id)."""
        asked = set(answering)
        return [e for e in self.by_type[type_] if e.get("correlation_id") in asked]

    async def consumed(self, label: str, service_url: str, event_ids: Collection[str], timeout: float = 180.0) -> None:
        """Wait until a service has handled each of these events (its `GET /handled`), whatever it handled before:
        a service that only keeps a copy of another's events announces nothing, so this is how to know. Given up
        after `timeout` seconds in which it handled none of them."""
        # In the order they were sent, which is about the order they are consumed in: each round asks from the
        # first and stops at the first page not wholly handled, rather than asking for every event every round.
        waiting = list(dict.fromkeys(event_ids))
        total, started = len(waiting), time.monotonic()
        moved, left = started, total
        while waiting:
            self.progress.show(label, total - len(waiting), total)
            waiting = await self._not_yet(service_url, waiting, whole=False)
            if len(waiting) < left:
                left, moved = len(waiting), time.monotonic()
            if waiting and time.monotonic() - moved > timeout:
                waiting = await self._not_yet(service_url, waiting, whole=True)
                raise TimeoutError(_("{label}: {url} has not handled {waiting} of {total} events, and none more "
                                     "for {seconds}s; is it ready? (`make health`, `make dlq`)").format(
                    label=label, url=service_url, waiting=len(waiting), total=total, seconds=round(timeout)))
            if waiting:
                await asyncio.sleep(0.2)
        self.progress.finish(label, total, total, time.monotonic() - started)

    @staticmethod
    async def _not_yet(service_url: str, waiting: list[str], *, whole: bool) -> list[str]:
        """The events of `waiting` the service has not handled yet, a page of `GET /handled` at a time; unless
        `whole`, the pages after the first one not wholly handled are not asked and count as not handled yet."""
        still: list[str] = []
        for start in range(0, len(waiting), HANDLED_QUERY):
            answer = await asyncio.to_thread(fetch, service_url, "/handled",
                                             {"event_id": waiting[start:start + HANDLED_QUERY]})
            still += answer["not_yet"]
            if answer["not_yet"] and not whole:
                return still + waiting[start + HANDLED_QUERY:]
        return still
