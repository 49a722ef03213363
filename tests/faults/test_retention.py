"""Bounded growth: sent outbox events, inbox claims and receipt times older than their retention are deleted by the
service (`Expiry`, once a minute), recent ones and unsent events are kept, a changed retention needs no new index,
and what an earlier version left (TTL indexes, sent events marked in the outbox itself) is put in today's layout
without losing a document.

Against the real database server the tests use. The figures go to tests/faults/RESULTS.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from shared.inbox import Inbox
from shared.mongo import Database
from shared.outbox import SENT, SENT_EXPIRY, Outbox, sent_document
from tests.faults.support.results import record
from tests.support.stores import store_database

pytestmark = pytest.mark.faults

DAY = 86_400


def row(n: int, *, sent_at: datetime | None, created_at: datetime, earlier: bool) -> dict[str, object]:
    """An outbox row; with `earlier`, as the layout before the sent events kept it (marked in the outbox)."""
    unsent = {"_id": ObjectId(), "event_id": f"e-{n}", "type": "kerneltest.work.done", "envelope": {},
              "created_at": created_at}
    if earlier:
        return {**unsent, "sent": sent_at is not None, **({"sent_at": sent_at} if sent_at else {})}
    return unsent if sent_at is None else sent_document(unsent, sent_at)


async def kept(db: Database) -> dict[str, int]:
    """Sent and unsent events in either layout, claims and receipt times."""
    marked = await db["outbox"].count_documents({"sent": True})
    return {"sent": await db[SENT].count_documents({}) + marked,
            "unsent": await db["outbox"].count_documents({}) - marked,
            "claims": await db["inbox"].count_documents({}), "receipts": await db["receipts"].count_documents({})}


async def stored(db: Database, now: datetime, *, old: bool = True, recent: bool = True,
                 earlier: bool = False) -> None:
    """Sent events 8 (`old`) and 6 days old and unsent ones 30 days old (`recent`); claims and receipt times 91
    (`old`) and 1 day old (`recent`). With `earlier`, the events as the layout before the sent events kept them."""
    rows = []
    if old:
        rows += [row(n, sent_at=now - timedelta(days=8), created_at=now - timedelta(days=8), earlier=earlier)
                 for n in range(20)]
    if recent:
        rows += [row(n, sent_at=now - timedelta(days=6), created_at=now - timedelta(days=6), earlier=earlier)
                 for n in range(20, 40)]
        rows += [row(n, sent_at=None, created_at=now - timedelta(days=30), earlier=earlier) for n in range(40, 45)]
    claims = [{"_id": f"kerneltest.work:{n}", "at": datetime(2015, 3, 2, tzinfo=UTC),
               "recorded_at": now - timedelta(days=91 if n < 10 else 1)}
              for n in range(20) if (old if n < 10 else recent)]
    for collection in ("outbox", SENT):
        mine = [r for r in rows if ("sent_at" in r and not earlier) == (collection == SENT)]
        if mine:
            await db[collection].insert_many(mine)
    await db["inbox"].insert_many(claims)
    await db["receipts"].insert_many([{**c, "_id": f"r-{c['_id']}"} for c in claims])


async def expire(outbox: Outbox, inbox: Inbox) -> dict[str, int]:
    """As `Service.expire` does it: what an earlier version marked sent is adopted first."""
    await outbox.adopt()
    return {e.kept: await e.expire() for e in [*outbox.expiries, *inbox.expiries]}


async def test_what_is_older_than_its_retention_is_deleted_and_the_recent_and_the_unsent_are_kept(
    mongo_url: str, db_prefix: str,
) -> None:
    async with store_database(mongo_url, f"{db_prefix}retention") as (_, db):
        outbox, inbox = Outbox(db, retention_seconds=7 * DAY), Inbox(db, retention_seconds=90 * DAY)
        await outbox.ensure_indexes()
        await inbox.ensure_indexes()
        await stored(db, datetime.now(UTC))
        first = await expire(outbox, inbox)
        after = await kept(db)
        again = await expire(outbox, inbox)  # a second replica's run, or the next minute's
        retained = await inbox.retained()
        # A shorter retention deletes more at the next run, with the same index.
        shorter = await Outbox(db, retention_seconds=DAY).expiries[0].expire()
        indexes = {name: await db[name].index_information() for name in ("outbox", SENT)}
    record("retention: deleted by the service", {
        "outbox: sent events 8 days old (retention 7 days)": f"{first['outbox']} deleted",
        "outbox: sent events 6 days old, kept": after["sent"],
        "outbox: unsent events 30 days old, kept": after["unsent"],
        "inbox: claims 91 days old (retention 90 days)": f"{first['inbox']} deleted",
        "inbox: claims 1 day old, kept": after["claims"],
        "receipts 1 day old, kept": after["receipts"],
        "outbox: sent events 6 days old, retention changed to 1 day": f"{shorter} deleted",
    })
    assert first == {"outbox": 20, "inbox": 10, "receipts": 10}
    assert after == {"sent": 20, "unsent": 5, "claims": 10, "receipts": 10}
    assert again == {"outbox": 0, "inbox": 0, "receipts": 0}
    assert retained == {"inbox": 10, "receipts": 10}
    assert shorter == 20
    assert {name: list(found) for name, found in indexes.items()} == {"outbox": ["_id_"], SENT: ["_id_", SENT_EXPIRY]}
    assert indexes[SENT][SENT_EXPIRY]["key"] == [("sent_at", 1)]


async def test_what_an_earlier_version_left_is_put_in_todays_layout_and_nothing_recent_is_lost(
    mongo_url: str, db_prefix: str,
) -> None:
    async with store_database(mongo_url, f"{db_prefix}retention-upgrade") as (_, db):
        # As an earlier version left them: the server's TTL indexes, under the names the plain ones now take, and
        # sent events marked in the outbox itself, with the indexes that layout needed.
        await db["outbox"].create_index("sent_at", expireAfterSeconds=7 * DAY, name="sent_expiry")
        await db["outbox"].create_index([("sent", 1), ("_id", 1)], name="unsent_in_order")
        await db["outbox"].create_index("event_id", unique=True, name="event_id_unique")
        await db["inbox"].create_index("recorded_at", expireAfterSeconds=90 * DAY, name="claim_expiry")
        await db["receipts"].create_index("recorded_at", expireAfterSeconds=90 * DAY, name="receipt_expiry")
        # Only what is within its retention: the embedded server's own TTL monitor, which runs once a minute,
        # must find nothing to delete while the old indexes are still there.
        await stored(db, datetime.now(UTC), old=False, earlier=True)
        outbox, inbox = Outbox(db, retention_seconds=7 * DAY), Inbox(db, retention_seconds=90 * DAY)
        before = await kept(db)
        await outbox.ensure_indexes()
        await inbox.ensure_indexes()
        await outbox.ensure_indexes()  # a second start, or a replica starting beside: nothing more to change
        indexes = {name: await db[name].index_information() for name in ("outbox", SENT, "inbox", "receipts")}
        after = await kept(db)
        marked = await db["outbox"].count_documents({"sent": True})
        # A process of the earlier version, still relaying during the upgrade, marks more rows sent in the outbox.
        await stored(db, datetime.now(UTC), recent=False, earlier=True)
        first = await expire(outbox, inbox)
        last = await kept(db)
    assert list(indexes["outbox"]) == ["_id_"]
    for collection, name, field in [(SENT, SENT_EXPIRY, "sent_at"), ("inbox", "claim_expiry", "recorded_at"),
                                    ("receipts", "receipt_expiry", "recorded_at")]:
        assert indexes[collection][name]["key"] == [(field, 1)]
        assert "expireAfterSeconds" not in indexes[collection][name], collection
    assert after == before == {"sent": 20, "unsent": 5, "claims": 10, "receipts": 10}
    assert marked == 0
    assert first == {"outbox": 20, "inbox": 10, "receipts": 10}
    assert last == after
