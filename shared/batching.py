"""Group commit, opt-in: under load, the deliveries that wait while earlier transactions run are handled together
in one transaction: the same claims, handlers and outbox events, in arrival order, with one inbox and one outbox
write and one commit for all of them. If anything in a batch fails, nothing of it is kept and each of its events
is handled again in a transaction of its own (`unit_of_work.handle_once`), so one event's fault never touches
another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from shared.documents import ByField, Collection, PendingWrites
from shared.envelope import Envelope
from shared.inbox import Inbox
from shared.mongo import Client
from shared.outbox import Outbox
from shared.unit_of_work import Handler, Transaction, handle_once

log = logging.getLogger(__name__)


# The documents an event's handler will look up, by `_id` or `ByField` (`shared.subscriptions.LooksUp`, bound
# to the service).
LookUps = Callable[[Envelope], Iterable[tuple[Collection, Any]]]


@dataclass
class _Waiting:
    consumer: str
    event: Envelope
    handler: Handler
    now: datetime
    today: date
    answer: asyncio.Future[list[Envelope]]
    looks_up: LookUps | None = None


class TransactionBatcher:
    """Handles each event exactly once, batching the events that arrive while `transactions` are running.

    With no backlog an event starts its own transaction at once (no added latency); while `transactions`
    transactions run, newly arrived events wait and the next free one takes up to `max_batch` of them.
    `max_batch=1` handles every event alone (`handle_once`).
    """

    def __init__(self, client: Client, inbox: Inbox, outbox: Outbox, *, source: str, max_batch: int,
                 transactions: int = 1) -> None:
        self.client, self.inbox, self.outbox, self.source = client, inbox, outbox, source
        self.max_batch = max_batch
        self.transactions = transactions
        self.batches = 0  # transactions that committed more than one event
        self.batched = 0  # the events they committed
        self._waiting: list[_Waiting] = []
        self._running: set[asyncio.Task[None]] = set()

    async def handle(self, consumer: str, event: Envelope, handler: Handler, *, now: datetime,
                     today: date, looks_up: LookUps | None = None) -> list[Envelope]:
        """What `handle_once` does for one event (raises AlreadyHandled for a repeat), batched with others;
        `looks_up`: the documents by `_id` its handler reads, read with the batch's before the first handler."""
        if self.max_batch <= 1:
            return await handle_once(self.client, self.inbox, self.outbox, consumer, event, handler, now=now,
                                     today=today, source=self.source)
        answer: asyncio.Future[list[Envelope]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(consumer, event, handler, now, today, answer, looks_up))
        self._start()
        return await answer

    def _start(self) -> None:
        while self._waiting and len(self._running) < self.transactions:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            task = asyncio.create_task(self._settle(batch))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._start()

    async def _settle(self, batch: list[_Waiting]) -> None:
        try:
            await self._handle(batch)
        finally:  # cancelled (shutdown): the deliveries are not acknowledged, so the broker redelivers them
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.cancel()

    async def _handle(self, batch: list[_Waiting]) -> None:
        if len(batch) > 1:
            try:
                results = await _batch_transaction(self.client, self.inbox, self.outbox, batch, self.source)
            except Exception as exc:  # each event is handled again alone, where its own fault shows
                log.debug("a batch of %d events failed (%s: %s); handling each alone", len(batch),
                          type(exc).__name__, exc)
            else:
                self.batches += 1
                self.batched += len(batch)
                for waiting, emitted in zip(batch, results, strict=True):
                    if not waiting.answer.done():
                        waiting.answer.set_result(emitted)
                return
        # One after the other, in the order they arrived: handled side by side, two events about the same thing (a
        # session recorded twice, in a batch that failed for a repeated delivery beside them) were decided in
        # whichever order their transactions committed, the later one sometimes counted and the earlier refused.
        for waiting in batch:
            try:
                outcome = await handle_once(self.client, self.inbox, self.outbox, waiting.consumer, waiting.event,
                                            waiting.handler, now=waiting.now, today=waiting.today,
                                            source=self.source)
            except Exception as exc:  # the event's own answer: its caller raises it (a cancellation stops the rest)
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
                continue
            if not waiting.answer.done():
                waiting.answer.set_result(outcome)


async def _batch_transaction(
    client: Client, inbox: Inbox, outbox: Outbox, batch: list[_Waiting], source: str,
) -> list[list[Envelope]]:
    async with client.start_session() as session:

        async def body(session: AsyncClientSession) -> list[list[Envelope]]:
            pending = PendingWrites(session)  # one for the batch: its writes go out together at the end
            txs = [Transaction(pending, now=w.now, today=w.today, source=source, cause=w.event) for w in batch]
            await inbox.record_many([(w.consumer, w.event, w.now) for w in batch], session)
            await _look_up(pending, batch)
            for waiting, tx in zip(batch, txs, strict=True):
                await waiting.handler(waiting.event, tx)
            await pending.flush()
            await outbox.add([e for tx in txs for e in tx.emitted], session)
            return [tx.emitted for tx in txs]

        with outbox.handing(session):
            return await session.with_transaction(body)


async def _look_up(pending: PendingWrites, batch: list[_Waiting]) -> None:
    """Read together the documents the batch's handlers will look up, by `_id` or by a field's value (`ByField`),
    one collection (and field) at a time. A hint that fails on an event's data is skipped: the handler reads that
    event itself and answers what is wrong."""
    wanted: dict[tuple[str, str | None], tuple[Collection, list[Any]]] = {}
    for waiting in batch:
        if waiting.looks_up is None:
            continue
        try:
            for collection, key in waiting.looks_up(waiting.event):
                name, value = (key.field, key.value) if isinstance(key, ByField) else (None, key)
                wanted.setdefault((collection.name, name), (collection, []))[1].append(value)
        except Exception:  # a hint only: the handler meets the same data and says what is wrong
            log.debug("no look-ups for event %s: its data does not give them", waiting.event.event_id)
    for (_, name), (collection, keys) in wanted.items():
        await (pending.look_up(collection, keys) if name is None else pending.look_up_by(collection, name, keys))
