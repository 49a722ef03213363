"""Time-driven jobs of a service (a grade's expiry, an award's standstill, an overdue milestone): each run sees
one instant of the district's clock and changes state only through `step`, a transaction with the outbox and
without an inbox claim, so what a job announces is as safe as what a handler announces.

A job runs every so often, on every replica at once if there are several: each step reads again what it
changes inside its transaction and announces with an id derived from what it announces, so the first replica
to commit wins and the others find nothing left to do. A job with many steps at once (a drill's day that ends
the standstill of a fair's hundred awards) runs them through `steps`, several to a transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import TypeVar

from shared.mongo import Client
from shared.outbox import Outbox
from shared.unit_of_work import Transaction, run_job_step

log = logging.getLogger(__name__)

T = TypeVar("T")
Step = Callable[[Transaction], Awaitable[int]]
STEPS_PER_TRANSACTION = 32


@dataclass(frozen=True)
class JobRun:
    """One run of a job: the district's instant it runs at, and a way to change state with the outbox."""

    now: datetime
    today: date
    client: Client
    outbox: Outbox
    source: str

    async def step(self, body: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `body` in a transaction of its own; its emitted events are published after the commit."""
        result = await run_job_step(self.client, self.outbox, body, now=self.now, today=self.today,
                                    source=self.source)
        self.outbox.notify()
        return result

    async def steps(self, bodies: Sequence[Step], *, together: int = STEPS_PER_TRANSACTION,
                    skip: tuple[type[Exception], ...] = ()) -> int:
        """Each of `bodies` as `step` runs it, `together` of them to a transaction (`in_groups`)."""
        return await in_groups(self.step, bodies, together=together, skip=skip, source=self.source)


async def in_groups(step: Callable[[Step], Awaitable[int]], bodies: Sequence[Step], *,
                    together: int = STEPS_PER_TRANSACTION, skip: tuple[type[Exception], ...] = (),
                    source: str = "") -> int:
    """Each of `bodies` run by `step` (a transaction), `together` of them in one, one after the other (each sees
    what the ones before it wrote); the sum of what they return. A group that fails is run again one body per
    transaction, so one body's fault (another replica came first) neither undoes nor holds up the rest of its
    group: its exception is raised as `step` raises it, or, if it is one of `skip`, that body is left for the next
    run and the others go on. A drill's day that ends a fair's hundred standstills commits four times, not a
    hundred."""
    done = 0
    for start in range(0, len(bodies), together):
        group = bodies[start:start + together]
        if len(group) > 1:
            try:
                done += await step(partial(_in_turn, group))
                continue
            except Exception as exc:
                log.info("%d steps of %s's job in one transaction failed (%s: %s); one at a time instead",
                         len(group), source, type(exc).__name__, exc)
        for body in group:
            try:
                done += await step(body)
            except skip:
                continue
    return done


async def _in_turn(bodies: Sequence[Step], tx: Transaction) -> int:
    return sum([await body(tx) for body in bodies])
