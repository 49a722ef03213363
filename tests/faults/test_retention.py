"""Bounded growth: sent outbox events, inbox claims and receipt times older than their retention are removed by the
database itself (TTL indexes), recent ones and unsent events are kept, and a changed retention replaces the index.

Against the real database server the tests use (the embedded server's TTL monitor, like MongoDB's, runs once a
minute, so the removal is awaited for up to two and a half minutes). The figures go to tests/faults/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from shared.inbox import Inbox
from shared.mongo import Database, make_client
from shared.outbox import Outbox
from shared.settings import StoreSettings
from tests.faults.support.results import record

pytestmark = pytest.mark.faults

DAY = 86_400


def row(n: int, *, sent_at: datetime | None, created_at: datetime) -> dict[str, object]:
    return {"event_id": f"e-{n}", "type": "kerneltest.work.done", "envelope": {}, "sent": sent_at is not None,
            "created_at": created_at, **({"sent_at": sent_at} if sent_at else {})}


async def until_gone(db: Database, collection: str, ids: list[object], timeout: float) -> float:
    started = time.monotonic()
    while await db[collection].count_documents({"_id": {"$in": ids}}):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{collection}: expired documents still there after {timeout:.0f}s")
        await asyncio.sleep(1.0)
    return time.monotonic() - started


@pytest.mark.timeout(300)
async def test_what_is_older_than_its_retention_is_removed_and_the_recent_and_the_unsent_are_kept(
    mongo_url: str, db_prefix: str,
) -> None:
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "retention-test")
    db = client[f"{db_prefix}retention"]
    try:
        outbox, inbox = Outbox(db, retention_seconds=7 * DAY), Inbox(db, retention_seconds=90 * DAY)
        await outbox.ensure_indexes()
        await inbox.ensure_indexes()
        now = datetime.now(UTC)
        old_sent = [row(n, sent_at=now - timedelta(days=8), created_at=now - timedelta(days=8)) for n in range(20)]
        recent_sent = [row(n, sent_at=now - timedelta(days=6), created_at=now - timedelta(days=6))
                       for n in range(20, 40)]
        old_unsent = [row(n, sent_at=None, created_at=now - timedelta(days=30)) for n in range(40, 45)]
        await db["outbox"].insert_many(old_sent + recent_sent + old_unsent)
        claims = [{"_id": f"kerneltest.work:{n}", "at": datetime(2015, 3, 2, tzinfo=UTC),
                   "recorded_at": now - timedelta(days=91 if n < 10 else 1)} for n in range(20)]
        await db["inbox"].insert_many(claims)
        await db["receipts"].insert_many([{**c, "_id": f"r-{c['_id']}"} for c in claims])

        waited = await until_gone(db, "outbox", [d["_id"] for d in old_sent], timeout=150)
        await until_gone(db, "inbox", [c["_id"] for c in claims[:10]], timeout=90)
        await until_gone(db, "receipts", [f"r-{c['_id']}" for c in claims[:10]], timeout=90)

        kept_sent = await db["outbox"].count_documents({"sent": True})
        kept_unsent = await db["outbox"].count_documents({"sent": False})
        kept_claims = await db["inbox"].count_documents({})
        kept_receipts = await db["receipts"].count_documents({})
        retained = await inbox.retained()

        # A changed retention replaces the index rather than failing on the old one.
        await Outbox(db, retention_seconds=DAY).ensure_indexes()
        expiry = (await db["outbox"].index_information())["sent_expiry"]["expireAfterSeconds"]
    finally:
        await client.drop_database(f"{db_prefix}retention")
        await client.close()
    record("retention: TTL indexes", {
        "outbox: sent events 8 days old (retention 7 days)": "removed",
        "outbox: sent events 6 days old, kept": kept_sent,
        "outbox: unsent events 30 days old, kept": kept_unsent,
        "inbox: claims 91 days old (retention 90 days)": "removed",
        "inbox: claims 1 day old, kept": kept_claims,
        "receipts 1 day old, kept": kept_receipts,
        "s until the database removed the expired (its TTL monitor runs once a minute)": round(waited, 1),
    })
    assert kept_sent == 20 and kept_unsent == 5
    assert kept_claims == 10 and kept_receipts == 10
    assert retained == {"inbox": 10, "receipts": 10}
    assert expiry == DAY
