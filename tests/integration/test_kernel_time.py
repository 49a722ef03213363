"""Time in the kernel, against the real broker and database: a drill moves the day and runs the jobs before it
confirms; outside drill mode a drill is dead-lettered; a redelivery decides with the first receipt time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import pytest

from shared.calendar import DistrictCalendar
from shared.clock import Clock
from shared.documents import find
from shared.envelope import Envelope
from shared.jobs import JobRun
from shared.outcome import Emit
from shared.service import Service
from shared.settings import BusSettings, CalendarSettings, ServiceSettings, StoreSettings
from shared.subscriptions import Subscriptions
from shared.unit_of_work import Transaction
from tests.integration.test_kernel import running
from tests.support.bus import BusProbe
from tests.support.endpoints import user_url

pytestmark = pytest.mark.integration

REMINDER = uuid.UUID("5a0f3f1e-7f4e-4c55-9d2c-0b1f3c5d7e90")


def settings(rabbit_url: str, mongo_url: str, prefix: str, *, drill: bool) -> ServiceSettings:
    return ServiceSettings(
        bus=BusSettings(RABBITMQ_URL=user_url(rabbit_url, "kerneltest"), DELIVERY_LIMIT=5),
        store=StoreSettings(MONGO_URL=mongo_url, MONGO_DATABASE_PREFIX=prefix),
        calendar=CalendarSettings(TODAY="2015-03-02", DISTRICT_CLOCK="drill" if drill else "system"),
        DISTRICT_ENV="development")


def reminders() -> Subscriptions[Service]:
    jobs = Subscriptions[Service]()

    @jobs.job("reminders", every=lambda service: 3600.0)
    async def remind(run: JobRun, service: Service) -> None:
        for due in await find(service.db["due"], {"announced": False, "on": {"$lte": run.today.isoformat()}}):
            async def announce(tx: Transaction, due: dict[str, Any] = due) -> None:
                tx.update(service.db["due"], {"_id": due["_id"]}, {"$set": {"announced": True}})
                tx.emit(Emit("kerneltest.reminder.due", {"item": due["_id"], "on": run.today.isoformat()}),
                        event_id=uuid.uuid5(REMINDER, str(due["_id"])))

            await run.step(announce)

    return jobs


async def test_a_drill_runs_the_jobs_of_the_new_day_before_it_confirms_and_never_goes_back(
    rabbit_url: str, mongo_url: str, db_prefix: str, bus: BusProbe,
) -> None:
    service = Service("kerneltest", settings(rabbit_url, mongo_url, db_prefix, drill=True))
    service.include(reminders(), service)
    await service.db["due"].insert_many([{"_id": "a", "on": "2015-03-05", "announced": False},
                                         {"_id": "b", "on": "2015-03-10", "announced": False}])
    async with running(service):
        moved = await bus.send("intake.clock.set", {"today": "2015-03-06"})
        await bus.wait_for(lambda evs: bus.answers_to(moved["event_id"]), timeout=30)
        back = await bus.send("intake.clock.set", {"today": "2015-03-04"})
        await bus.wait_for(lambda evs: bus.answers_to(back["event_id"]), timeout=30)
        await bus.publish(moved)  # the same drill again: changes and announces nothing
        await bus.quiet(1.0)
    types = [e["type"] for e in bus.events if e["type"].startswith("kerneltest.")]
    assert types == ["kerneltest.reminder.due", "kerneltest.clock.set", "kerneltest.clock.rejected"]
    assert service.clock.today() == date(2015, 3, 6)
    [rejected] = bus.answers_to(back["event_id"])
    assert "forward only" in rejected["data"]["errors"][0]["message"]


async def test_outside_drill_mode_a_drill_is_dead_lettered_saying_why(
    rabbit_url: str, mongo_url: str, db_prefix: str, bus: BusProbe,
) -> None:
    service = Service("kerneltest", settings(rabbit_url, mongo_url, db_prefix, drill=False))
    async with running(service):
        sent = await bus.send("intake.clock.set", {"today": "2015-03-06"})
        dead: list[Any] = []
        for _ in range(100):
            dead += await bus.drain_queue("kerneltest.dlq")
            if dead:
                break
            await asyncio.sleep(0.2)
    assert [m.message_id for m in dead] == [sent["event_id"]]
    assert "only in drill mode" in str(dead[0].headers["x-error"])
    assert service.clock.today() == date(2015, 3, 2)


async def test_a_redelivery_decides_with_the_day_the_event_was_first_received(
    rabbit_url: str, mongo_url: str, db_prefix: str, bus: BusProbe,
) -> None:
    clock = Clock(DistrictCalendar(), pinned=date(2015, 3, 2))
    service = Service("kerneltest", settings(rabbit_url, mongo_url, db_prefix, drill=False), clock=clock)
    attempts: list[date] = []

    async def flaky(event: Envelope, tx: Transaction) -> None:
        attempts.append(tx.today)
        if len(attempts) == 1:
            clock.pinned = date(2015, 3, 9)  # the day turns (a backlog, a replay a week later) before the retry
            raise RuntimeError("the first attempt fails")
        tx.emit(Emit("kerneltest.work.done", {"today": tx.today.isoformat()}))

    service.consume("work", "intake.kernel.work", flaky, document=Envelope, description="work")
    async with running(service):
        sent = await bus.send("intake.kernel.work", {"n": 1})
        await bus.wait_for(lambda evs: bus.answers_to(sent["event_id"]), timeout=30)
    assert attempts == [date(2015, 3, 2), date(2015, 3, 2)]
    [done] = bus.answers_to(sent["event_id"])
    assert done["data"]["today"] == "2015-03-02"


class CountedReads:
    """The service's real database, counting the reads of the drill's day that reach it."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.clock_reads = 0

    def __getitem__(self, name: str) -> Any:
        collection = self.db[name]
        if name != "clock":
            return collection
        outer = self

        class Counted:
            async def find_one(self, *args: Any, **kwargs: Any) -> Any:
                outer.clock_reads += 1
                return await collection.find_one(*args, **kwargs)

        return Counted()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


async def test_deliveries_waiting_on_the_drills_day_share_one_read_and_a_forced_read_always_reads(
    rabbit_url: str, mongo_url: str, db_prefix: str,
) -> None:
    service = Service("kerneltest", settings(rabbit_url, mongo_url, db_prefix, drill=True))
    await service.db["clock"].insert_one({"_id": "drill_day", "today": "2015-03-06"})
    counted = CountedReads(service.db)
    service.db = counted

    await asyncio.gather(*(service._follow_drill() for _ in range(64)))  # 64 deliveries arrive at once
    assert (counted.clock_reads, service.clock.today()) == (1, date(2015, 3, 6))
    await asyncio.gather(*(service._follow_drill() for _ in range(64)))  # within the half second: no read
    assert counted.clock_reads == 1

    await counted.db["clock"].update_one({"_id": "drill_day"}, {"$set": {"today": "2015-03-09"}})  # a replica
    await asyncio.gather(service._follow_drill(force=True), *(service._follow_drill() for _ in range(8)))
    assert (counted.clock_reads, service.clock.today()) == (2, date(2015, 3, 9))
    await asyncio.sleep(0.6)
    await asyncio.gather(*(service._follow_drill() for _ in range(8)))
    assert counted.clock_reads == 3
