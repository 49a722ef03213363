"""A job's many steps, against the real database: several to a transaction, and a group with a failing step run
again one step at a time, so the others are kept and only the failing one is left or raised."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial

import pytest

from shared.jobs import JobRun, Step, in_groups
from shared.mongo import make_client
from shared.outbox import Outbox
from shared.outcome import Emit
from shared.settings import StoreSettings
from shared.unit_of_work import Transaction

pytestmark = pytest.mark.integration


class Taken(Exception):
    """Another replica came first (what a job's step raises when what it read changed)."""


async def test_a_jobs_steps_commit_together_and_a_failing_one_is_left_alone(mongo_url: str, db_prefix: str) -> None:
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "jobs-test")
    try:
        db = client[f"{db_prefix}jobs"]
        outbox = Outbox(db)
        run = JobRun(now=datetime.now(UTC), today=date(2015, 3, 2), client=client, outbox=outbox,
                     source="kerneltest")
        commits: list[int] = []
        taken = {7, 40}  # two of the 70 items another replica took first

        async def mark(n: int, tx: Transaction) -> int:
            if n in taken:
                raise Taken(f"item {n} was taken")
            tx.insert(db["done"], {"_id": n})
            tx.emit(Emit("kerneltest.item.done", {"n": n}))
            return 1

        async def counted(body: Step) -> int:  # each call of `step` is one transaction
            result = await run.step(body)
            commits.append(result)
            return result

        bodies = [partial(mark, n) for n in range(70)]
        done = await in_groups(counted, bodies, together=32, skip=(Taken,))

        assert done == 68
        assert sorted(d["_id"] for d in await db["done"].find().to_list()) == [n for n in range(70) if n not in taken]
        assert await outbox.collection.count_documents({}) == 68
        # The first two groups of 32 held a taken item each: each was run again one at a time (31 commits and the
        # taken item left); the last group of 6 committed at once.
        assert commits == [1] * 31 + [1] * 31 + [6]
        # Without `skip`, the failing step's exception is raised, after the ones before it were kept.
        taken.add(80)
        with pytest.raises(Taken, match="item 80"):
            await run.steps([partial(mark, n) for n in range(75, 85)])
        assert sorted(d["_id"] for d in await db["done"].find({"_id": {"$gte": 75}}).to_list()) == [75, 76, 77, 78, 79]
    finally:
        await client.close()
