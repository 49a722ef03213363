"""The handler tier: a service's handlers run against an in-memory store, without a broker or a database.

`deliver` finds the handler the service declared for an event type, gives it the event and a transaction whose
writes go nowhere (the fake store keeps them itself), and returns what the handler emitted, as the bus would
carry it. The rules that live between domain and store (decided once, already taken, loaded or not) are tested
here in milliseconds; the kernel's part (inbox, outbox, batching) is tested in tests/integration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar, cast

from pymongo.asynchronous.client_session import AsyncClientSession

from shared.documents import PendingWrites
from shared.envelope import Envelope, new_event
from shared.jobs import STEPS_PER_TRANSACTION, Step, in_groups
from shared.subscriptions import Subscriptions
from shared.unit_of_work import Transaction

D = TypeVar("D")
T = TypeVar("T")


class Emitted(list[Envelope]):
    """What one delivery emitted, with the questions tests ask of it."""

    def types(self) -> list[str]:
        return [e.type for e in self]

    def one(self, type_: str) -> dict[str, Any]:
        found = [e.data for e in self if e.type == type_]
        assert len(found) == 1, f"expected one {type_}, got {self.types()}"
        return found[0]

    def errors(self) -> dict[str, str]:
        """The field -> message of the one rejection emitted."""
        [rejection] = [e for e in self if e.type.endswith(".rejected")]
        return {e["field"]: e["message"] for e in rejection.data["errors"]}


def transaction(event: Envelope | None, today: date) -> Transaction:
    # No session: the fake stores keep their state themselves and never send the transaction's writes.
    pending = PendingWrites(cast(AsyncClientSession, None))
    now = datetime.combine(today, time(10, 0), tzinfo=UTC)
    return Transaction(pending, now=now, today=today, source="handler-test", cause=event)


async def deliver(subscriptions: Subscriptions[D], deps: D, event_type: str, data: dict[str, Any], *,
                  today: date = date(2015, 3, 2), event: Envelope | None = None) -> Emitted:
    """Hand one event to the service's handler for `event_type`; return what it emitted."""
    envelope = event or new_event(event_type, data, source="handler-test")
    [subscription] = [s for s in subscriptions.subscriptions if s.binding == event_type]
    tx = transaction(envelope, today)
    await subscription.handle(envelope, tx, deps)
    assert not tx.pending.queued, "a fake store must not queue writes for the database"
    return Emitted(tx.emitted)


class JobInMemory:
    """A job's run (`shared.jobs.JobRun`) whose steps commit into the in-memory store; what they emit is kept."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.emitted = Emitted()

    async def step(self, body: Callable[[Transaction], Awaitable[T]]) -> T:
        tx = transaction(None, self.today)
        result = await body(tx)
        self.emitted.extend(tx.emitted)
        return result

    async def steps(self, bodies: Sequence[Step], *, together: int = STEPS_PER_TRANSACTION,
                    skip: tuple[type[Exception], ...] = ()) -> int:
        return await in_groups(self.step, bodies, together=together, skip=skip)


async def run_job(job: Callable[[Any, D], Awaitable[None]], deps: D, today: date) -> Emitted:
    """Run a service's time-driven job once on `today` against the in-memory store; what it emitted."""
    run = JobInMemory(today)
    await job(run, deps)
    return run.emitted
