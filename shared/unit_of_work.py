"""One handled event = one transaction: the inbox claim, the state change, and the outbox events it causes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from shared.envelope import Envelope, new_event
from shared.inbox import Inbox
from shared.mongo import Client
from shared.outbox import Outbox
from shared.outcome import Emit


@dataclass
class Transaction:
    """What a handler gets: the session to write with, the clock reading, and a way to emit events."""

    session: AsyncClientSession
    event: Envelope
    now: datetime
    today: date  # the district's date at `now`
    source: str
    emitted: list[Envelope] = field(default_factory=list)

    def emit(self, *outcomes: Emit) -> None:
        """Queue events for the outbox; each answers the event being handled (`correlation_id`)."""
        for outcome in outcomes:
            self.emitted.append(
                new_event(outcome.type, outcome.data, source=self.source, correlation_id=self.event.event_id,
                          occurred_at=self.now)
            )


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
            tx = Transaction(session=session, event=event, now=now, today=today, source=source)
            await inbox.record(consumer, event, now, session)
            await handler(event, tx)
            await outbox.add(tx.emitted, session)
            return tx.emitted

        return await session.with_transaction(body)
