"""One handled event = one transaction: the inbox claim, the state change, and the outbox events it causes.

A time-driven job (a grade's expiry, a standstill's end) uses the same transaction without an inbox claim:
what it announces goes through the outbox too, so it is as safe as what a handler announces. Batching several
events into one transaction under load (a group commit) is `shared.batching`, on top of this.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from shared.documents import PendingWrites, Writer
from shared.envelope import Envelope, new_event
from shared.inbox import Inbox
from shared.mongo import Client
from shared.outbox import Outbox
from shared.outcome import Emit

T = TypeVar("T")


class Transaction(Writer):
    """What a handler or a job gets: the district's time, a way to emit events, and the store's writes.

    `now` is the district's receipt time of the event being handled (the first time this service handled it,
    reused on every redelivery or replay), or the time a job runs; `today` is its date in the district. Stores
    read and write through it (`shared.documents`), so writes wait and go out together at the commit.
    """

    def __init__(self, pending: PendingWrites, *, now: datetime, today: date, source: str,
                 cause: Envelope | None = None) -> None:
        super().__init__(pending)
        self.now = now
        self.today = today
        self.source = source
        self.cause = cause
        self.emitted: list[Envelope] = []

    @classmethod
    def of(cls, session: AsyncClientSession, *, now: datetime, today: date, source: str,
           cause: Envelope | None = None) -> Transaction:
        return cls(PendingWrites(session), now=now, today=today, source=source, cause=cause)

    @property
    def event(self) -> Envelope:
        """The event being handled (a job's transaction handles none)."""
        if self.cause is None:
            raise RuntimeError("a job's transaction answers no event")
        return self.cause

    def emit(self, *outcomes: Emit, event_id: uuid.UUID | None = None) -> None:
        """Queue events for the outbox; each answers the event being handled (`correlation_id`). A job passes a
        stable `event_id` (derived from what it announces), so running it twice announces once."""
        if event_id is not None and len(outcomes) != 1:
            raise ValueError("a stable event_id names one event")
        for outcome in outcomes:
            self.emitted.append(new_event(
                outcome.type, outcome.data, source=self.source, occurred_at=self.now, event_id=event_id,
                correlation_id=self.cause.event_id if self.cause is not None else None))


Handler = Callable[[Envelope, Transaction], Awaitable[None]]


class ConflictRetriesExhausted(Exception):
    """A unique index kept refusing the handler's writes: a competing writer, or a bug."""


async def handle_once(
    client: Client, inbox: Inbox, outbox: Outbox, consumer: str, event: Envelope, handler: Handler,
    *, now: datetime, today: date, source: str, conflict_retries: int = 3,
) -> list[Envelope]:
    """Run `handler` for `event` exactly once for `consumer`; return the events it emitted.

    A unique-index conflict in the handler's own writes (two replicas creating the same entity) aborts the
    transaction and runs the handler again, so it sees the winner's state. Raises AlreadyHandled for a repeat.
    """
    for _ in range(conflict_retries):
        try:
            return await _transaction(client, inbox, outbox, consumer, event, handler, now, today, source)
        except DuplicateKeyError:
            continue
    raise ConflictRetriesExhausted(f"{consumer}: unique-index conflicts on every attempt for {event.event_id}")


async def _transaction(
    client: Client, inbox: Inbox, outbox: Outbox, consumer: str, event: Envelope, handler: Handler,
    now: datetime, today: date, source: str,
) -> list[Envelope]:
    async with client.start_session() as session:

        async def body(session: AsyncClientSession) -> list[Envelope]:
            tx = Transaction.of(session, now=now, today=today, source=source, cause=event)
            await inbox.record(consumer, event, now, session)
            await handler(event, tx)
            await tx.pending.flush()
            await outbox.add(tx.emitted, session)
            return tx.emitted

        with outbox.handing(session):
            return await session.with_transaction(body)


async def run_job_step(
    client: Client, outbox: Outbox, step: Callable[[Transaction], Awaitable[T]], *, now: datetime, today: date,
    source: str,
) -> T:
    """One step of a time-driven job in a transaction of its own, with the outbox and without an inbox claim.

    The step reads again what it changes (another replica may have come first) and emits with stable ids.
    """
    async with client.start_session() as session:

        async def body(session: AsyncClientSession) -> T:
            tx = Transaction.of(session, now=now, today=today, source=source)
            result = await step(tx)
            await tx.pending.flush()
            await outbox.add(tx.emitted, session)
            return result

        with outbox.handing(session):
            return await session.with_transaction(body)
