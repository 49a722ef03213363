"""Time-driven jobs of a service (a grade's expiry, an award's standstill, an overdue milestone): each run sees
one instant of the district's clock and changes state only through `step`, a transaction with the outbox and
without an inbox claim, so what a job announces is as safe as what a handler announces.

A job runs every so often, on every replica at once if there are several: each step reads again what it
changes inside its transaction and announces with an id derived from what it announces, so the first replica
to commit wins and the others find nothing left to do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from shared.mongo import Client
from shared.outbox import Outbox
from shared.unit_of_work import Transaction, run_job_step

T = TypeVar("T")


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
