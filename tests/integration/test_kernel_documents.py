"""The kernel's collected writes against the real database: they wait and go out together, a read sees them, a
unique index refuses them as it refuses a single write, and a conditional update reports a lost race."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pymongo.errors import DuplicateKeyError

from shared.documents import count, find, find_one
from shared.mongo import Client, Database
from shared.unit_of_work import Transaction
from tests.support.stores import committed, store_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(mongo_url: str, db_prefix: str) -> AsyncIterator[tuple[Client, Database]]:
    async with store_database(mongo_url, f"{db_prefix}documents") as found:
        yield found


async def test_writes_wait_until_the_end_and_go_out_in_one_flush(database: tuple[Client, Database]) -> None:
    client, db = database

    async def step(tx: Transaction) -> int:
        for n in range(5):
            tx.insert(db["items"], {"_id": n})
        tx.update(db["items"], {"_id": 0}, {"$set": {"seen": True}})
        tx.insert(db["other"], {"_id": "x"})
        assert await count(db["elsewhere"], {}, tx) == 0  # a read of another collection sends nothing
        assert tx.pending.flushes == 0
        return len(tx.pending.queued)

    assert await committed(client, db, step) == 7
    assert [d["_id"] for d in await find(db["items"], {}, sort=[("_id", 1)])] == [0, 1, 2, 3, 4]
    assert await find_one(db["items"], {"_id": 0}) == {"_id": 0, "seen": True}


async def test_a_read_of_a_collection_with_waiting_writes_sees_them(database: tuple[Client, Database]) -> None:
    client, db = database

    async def step(tx: Transaction) -> object:
        tx.insert(db["items"], {"_id": 1, "n": 1})
        tx.replace(db["items"], 1, {"_id": 1, "n": 2})
        return await find_one(db["items"], {"_id": 1}, tx)

    assert await committed(client, db, step) == {"_id": 1, "n": 2}


async def test_a_duplicate_in_collected_writes_is_a_duplicate_key_error_and_nothing_is_kept(
    database: tuple[Client, Database],
) -> None:
    client, db = database

    async def step(tx: Transaction) -> None:
        tx.insert(db["items"], {"_id": 1})
        tx.insert(db["items"], {"_id": 1})

    with pytest.raises(DuplicateKeyError):
        await committed(client, db, step)
    assert await count(db["items"], {}) == 0


async def test_a_conditional_update_reports_how_many_it_matched(database: tuple[Client, Database]) -> None:
    client, db = database

    async def first(tx: Transaction) -> int:
        tx.insert(db["fairs"], {"_id": "f", "schedule": None})
        return await tx.update_now(db["fairs"], {"_id": "f", "schedule": None}, {"$set": {"schedule": 1}})

    async def second(tx: Transaction) -> int:
        return await tx.update_now(db["fairs"], {"_id": "f", "schedule": None}, {"$set": {"schedule": 2}})

    assert await committed(client, db, first) == 1
    assert await committed(client, db, second) == 0
    assert await find_one(db["fairs"], {"_id": "f"}) == {"_id": "f", "schedule": 1}
