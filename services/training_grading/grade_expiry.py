"""The time-driven side of grading: a periodic check that marks each grade past its validity expired and
announces `grading.grade.expired` once, in the same transaction as the change."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime

from pymongo.asynchronous.client_session import AsyncClientSession

from services.training_grading.grading import expire_due
from services.training_grading.store import TrainingGradingStore
from shared.envelope import new_event
from shared.mongo import Client
from shared.outbox import Outbox

log = logging.getLogger(__name__)

# Fixed forever: the expiry event of a grading record's version has one id, however often the check runs.
EXPIRY_NAMESPACE = uuid.UUID("9c4f1b27-0e6a-5d38-b1f2-7a5e3c8d6049")


class GradeExpiry:
    """Run `check()` every few minutes; it is safe on several replicas at once (the transaction decides)."""

    def __init__(self, client: Client, store: TrainingGradingStore, outbox: Outbox, *, source: str,
                 clock: Callable[[], datetime], day_of: Callable[[datetime], date]) -> None:
        self.client = client
        self.store = store
        self.outbox = outbox
        self.source = source
        self.clock = clock
        self.day_of = day_of

    async def check(self) -> None:
        now = self.clock()
        today = self.day_of(now)
        expired = 0
        for org_id in await self.store.grades_past_validity(today):
            expired += await self._expire(org_id, today, now)
        if expired:
            log.info("%d grade(s) expired on %s", expired, today)
            self.outbox.notify()

    async def _expire(self, org_id: str, today: date, now: datetime) -> int:
        async with self.client.start_session() as session:

            async def body(session: AsyncClientSession) -> int:
                # Read again inside the transaction: another replica, or a new assessment, may have come first.
                record = await self.store.grading_record(org_id, session)
                due = expire_due([record], today) if record else []
                for expired, event in due:
                    await self.store.save_grading_record(expired, session)
                    envelope = new_event(event.type, event.data, source=self.source, occurred_at=now,
                                         event_id=uuid.uuid5(EXPIRY_NAMESPACE, f"{org_id}:{expired.version}"))
                    await self.outbox.add([envelope], session)
                return len(due)

            count: int = await session.with_transaction(body)
            return count


