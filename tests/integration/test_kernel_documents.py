"""The kernel's collected writes against the real database: they wait and go out together, a read sees them, a
unique index refuses them as it refuses a single write, and a conditional update reports a lost race."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from shared.documents import REMEMBERED_AT_MOST, count, find, find_by, find_one, find_one_as
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


async def test_a_look_up_by_equality_among_waiting_inserts_is_answered_without_sending_them(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    await db["items"].insert_one({"_id": "stored", "ref": "S"})

    async def step(tx: Transaction) -> list[object]:
        for n in range(3):
            tx.insert(db["items"], {"_id": f"i{n}", "ref": f"R{n}", "holder": {"name": f"h{n}"}})
        found = [await find_one(db["items"], {"_id": "i1"}, tx),
                 await find_one(db["items"], {"ref": "R2", "holder.name": "h2"}, tx),
                 await find_one(db["items"], {"_id": "i9"}, tx),
                 await find_one(db["items"], {"ref": "S"}, tx)]
        assert tx.pending.flushes == 0
        return found

    assert await committed(client, db, step) == [
        {"_id": "i1", "ref": "R1", "holder": {"name": "h1"}}, {"_id": "i2", "ref": "R2", "holder": {"name": "h2"}},
        None, {"_id": "stored", "ref": "S"}]
    assert await count(db["items"], {}) == 4


async def test_a_document_already_stored_is_found_before_a_waiting_insert_like_it(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    await db["items"].insert_one({"_id": "old", "kind": "k"})

    async def step(tx: Transaction) -> object:
        tx.insert(db["items"], {"_id": "new", "kind": "k"})
        return await find_one(db["items"], {"kind": "k"}, tx)

    assert await committed(client, db, step) == {"_id": "old", "kind": "k"}


@pytest.mark.parametrize(("waiting", "query", "expected"), [
    pytest.param({"_id": 1, "tags": ["a", "b"]}, {"tags": "b"}, {"_id": 1, "tags": ["a", "b"]}, id="inside-an-array"),
    pytest.param({"_id": 1, "n": 2.0}, {"n": 2}, {"_id": 1, "n": 2.0}, id="a-float-equal-to-an-int"),
    pytest.param({"_id": 1, "n": 2}, {"n": {"$gt": 1}}, {"_id": 1, "n": 2}, id="an-operator"),
])
async def test_a_look_up_the_waiting_inserts_cannot_decide_sends_them_first_and_sees_them(
    database: tuple[Client, Database], waiting: dict[str, object], query: dict[str, object], expected: object,
) -> None:
    client, db = database

    async def step(tx: Transaction) -> tuple[object, int]:
        tx.insert(db["items"], waiting)
        return await find_one(db["items"], query, tx), tx.pending.flushes

    assert await committed(client, db, step) == (expected, 1)


async def test_a_look_up_after_a_change_that_is_not_an_insert_sends_the_writes_first(
    database: tuple[Client, Database],
) -> None:
    client, db = database

    async def step(tx: Transaction) -> tuple[object, int]:
        tx.insert(db["items"], {"_id": 1, "ref": "R"})
        tx.update(db["items"], {"_id": 1}, {"$set": {"ref": "Q"}})
        return await find_one(db["items"], {"ref": "R"}, tx), tx.pending.flushes

    assert await committed(client, db, step) == (None, 1)


async def test_a_read_asked_again_in_a_transaction_is_answered_from_the_first_and_may_be_changed(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    await db["items"].insert_many([{"_id": n, "kind": "k", "tags": ["a"]} for n in range(3)])

    async def step(tx: Transaction) -> list[object]:
        first = await find_one(db["items"], {"_id": 1}, tx)
        assert first is not None
        first["tags"].append("changed by the caller")
        again = await find_one(db["items"], {"_id": 1}, tx)
        listed = await find(db["items"], {"kind": "k"}, tx, sort=[("_id", 1)])
        listed[0]["kind"] = "changed by the caller"
        relisted = await find(db["items"], {"kind": "k"}, tx, sort=[("_id", 1)])
        other = await find(db["items"], {"kind": "k"}, tx, sort=[("_id", -1)], limit=1)
        missing = [await find_one(db["items"], {"_id": 9}, tx) for _ in range(2)]
        return [tx.pending.reads, again, [d["_id"] for d in relisted], relisted[0]["kind"], other, missing]

    assert await committed(client, db, step) == [
        4, {"_id": 1, "kind": "k", "tags": ["a"]}, [0, 1, 2], "k", [{"_id": 2, "kind": "k", "tags": ["a"]}],
        [None, None]]


@pytest.mark.parametrize("write", ["insert", "update", "delete", "update_now", "replace_if"])
async def test_a_write_to_a_collection_makes_its_reads_ask_the_database_again(
    database: tuple[Client, Database], write: str,
) -> None:
    client, db = database
    await db["items"].insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}])
    items = db["items"]

    async def step(tx: Transaction) -> tuple[list[int], object, int]:
        assert [d["_id"] for d in await find(items, {}, tx, sort=[("_id", 1)])] == [1, 2]
        assert await find_one(db["elsewhere"], {"_id": 1}, tx) is None
        if write == "insert":
            tx.insert(items, {"_id": 3, "n": 3})
        elif write == "update":
            tx.update(items, {"_id": 2}, {"$set": {"n": 20}})
        elif write == "delete":
            tx.delete(items, 1)
        elif write == "update_now":
            assert await tx.update_now(items, {"_id": 2}, {"$set": {"n": 20}}) == 1
        elif write == "update_now by a field":  # which documents it changed is not known: every one is read again
            assert await tx.update_now(items, {"n": 2}, {"$set": {"n": 20}}) == 1
        else:
            assert await tx.replace_if(items, {"_id": 2, "n": 2}, {"_id": 2, "n": 20}) == 1
        after = [d["_id"] for d in await find(items, {}, tx, sort=[("_id", 1)])]
        two = await find_one(items, {"_id": 2}, tx)
        assert await find_one(db["elsewhere"], {"_id": 1}, tx) is None  # untouched: still answered from before
        return after, two, tx.pending.reads

    # Counted: reads through the remembered answers and the documents kept by id. After an insert the query goes to
    # the database beside the waiting insert (answered from both, not counted) and the look-up by id is counted.
    expected = {"insert": ([1, 2, 3], {"_id": 2, "n": 2}, 3), "update": ([1, 2], {"_id": 2, "n": 20}, 4),
                "delete": ([2], {"_id": 2, "n": 2}, 4), "update_now": ([1, 2], {"_id": 2, "n": 20}, 4),
                "replace_if": ([1, 2], {"_id": 2, "n": 20}, 4)}[write]
    assert await committed(client, db, step) == expected


async def test_a_read_that_finds_many_documents_is_not_kept(database: tuple[Client, Database]) -> None:
    client, db = database
    await db["items"].insert_many([{"_id": n} for n in range(REMEMBERED_AT_MOST + 1)])

    async def step(tx: Transaction) -> tuple[int, int]:
        for _ in range(2):
            assert len(await find(db["items"], {}, tx)) == REMEMBERED_AT_MOST + 1
        assert len(await find(db["items"], {}, tx, limit=2)) == 2
        assert len(await find(db["items"], {}, tx, limit=2)) == 2
        return tx.pending.reads, tx.pending.flushes

    assert await committed(client, db, step) == (3, 0)


async def test_a_look_up_by_id_among_waiting_replacements_is_answered_without_sending_them(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    await db["items"].insert_many([{"_id": "a", "n": 0}, {"_id": "b", "n": 0}])
    items = db["items"]

    async def step(tx: Transaction) -> list[object]:
        for n in range(1, 4):  # read by id, then replace, as a batch of projections does, event after event
            for key in ("a", "b"):
                found = await find_one(items, {"_id": key}, tx)
                assert found is not None and found["n"] == n - 1
                tx.replace(items, key, {"_id": key, "n": n})
        tx.replace(items, "missing", {"n": 1})  # replaces nothing: none is stored
        tx.replace(items, "new", {"n": 1}, upsert=True)
        tx.insert(items, {"_id": "inserted", "n": 1})
        tx.replace(items, "inserted", {"n": 2})
        tx.replace(items, "b", {"n": 9}, upsert=True)
        found = [await find_one(items, {"_id": key}, tx) for key in ("a", "b", "missing", "new", "inserted", "c")]
        assert tx.pending.flushes == 0
        return found

    assert await committed(client, db, step) == [
        {"_id": "a", "n": 3}, {"_id": "b", "n": 9}, None, {"_id": "new", "n": 1}, {"_id": "inserted", "n": 2}, None]
    assert await find(db["items"], {}, sort=[("_id", 1)]) == [
        {"_id": "a", "n": 3}, {"_id": "b", "n": 9}, {"_id": "inserted", "n": 2}, {"_id": "new", "n": 1}]


async def test_a_look_up_by_id_answered_from_a_waiting_replacement_is_a_copy_of_its_own(
    database: tuple[Client, Database],
) -> None:
    client, db = database

    async def step(tx: Transaction) -> object:
        kept = {"_id": "a", "tags": ["x"]}
        tx.replace(db["items"], "a", kept, upsert=True)
        found = await find_one(db["items"], {"_id": "a"}, tx)
        assert found is not None
        found["tags"].append("changed by the caller")
        return await find_one(db["items"], {"_id": "a"}, tx)

    assert await committed(client, db, step) == {"_id": "a", "tags": ["x"]}


@pytest.mark.parametrize(("write", "query"), [
    pytest.param("replace", {"n": 2}, id="a-replacement-then-a-look-up-by-another-field"),
    pytest.param("update", {"_id": "a"}, id="an-update-then-a-look-up-by-id"),
    pytest.param("float-id", {"_id": "a"}, id="an-insert-with-an-id-compared-by-the-database"),
])
async def test_a_look_up_the_waiting_writes_cannot_answer_by_id_sends_them_first(
    database: tuple[Client, Database], write: str, query: dict[str, object],
) -> None:
    client, db = database
    await db["items"].insert_one({"_id": "a", "n": 1})

    async def step(tx: Transaction) -> tuple[object, int]:
        if write == "replace":
            tx.replace(db["items"], "a", {"n": 2})
        elif write == "update":
            tx.update(db["items"], {"_id": "a"}, {"$set": {"n": 2}})
        else:
            tx.insert(db["items"], {"_id": 2.0, "n": 2})
            tx.replace(db["items"], "a", {"n": 2})
        return await find_one(db["items"], query, tx), tx.pending.flushes

    assert await committed(client, db, step) == ({"_id": "a", "n": 2}, 1)


async def test_what_is_built_from_a_read_is_built_once_until_the_transaction_writes_there(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    await db["items"].insert_one({"_id": "a", "n": 1})
    built: list[int] = []

    def build(document: dict[str, Any]) -> tuple[str, int]:
        built.append(document["n"])
        return document["_id"], document["n"]

    async def step(tx: Transaction) -> list[object]:
        first = await find_one_as(db["items"], {"_id": "a"}, tx, build)
        again = await find_one_as(db["items"], {"_id": "a"}, tx, build)
        assert again is first
        assert await find_one_as(db["items"], {"_id": "none"}, tx, build) is None
        tx.update(db["items"], {"_id": "a"}, {"$set": {"n": 2}})
        after_write = await find_one_as(db["items"], {"_id": "a"}, tx, build)
        return [first, after_write, await find_one_as(db["items"], {"_id": "a"}, tx, build)]

    assert await committed(client, db, step) == [("a", 1), ("a", 2), ("a", 2)]
    assert built == [1, 2, 2]  # the last read after the write: the update was sent, then read and built again once
    assert await find_one_as(db["items"], {"_id": "a"}, None, build) == ("a", 2)


async def test_a_query_among_waiting_inserts_is_answered_from_them_and_the_database_in_order(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    await db["people"].insert_many([{"_id": "p2", "org": "A", "rank": 5}, {"_id": "p5", "org": "A", "rank": 1},
                                    {"_id": "p9", "org": "B", "rank": 3}])
    people = db["people"]

    async def step(tx: Transaction) -> list[object]:
        answers: list[object] = []
        for key, rank in (("p4", 4), ("p1", 2)):  # each reads its organization's people, then is inserted
            answers.append([d["_id"] for d in await find(people, {"org": "A"}, tx, sort=[("_id", 1)])])
            tx.insert(people, {"_id": key, "org": "A", "rank": rank})
        answers.append([d["_id"] for d in await find(people, {"org": "A"}, tx, sort=[("_id", 1)])])
        answers.append([d["_id"] for d in await find(people, {"org": "A"}, tx, sort=[("rank", -1), ("_id", 1)])])
        answers.append(sorted(d["_id"] for d in await find(people, {"org": "A"}, tx)))
        answers.append([d["_id"] for d in await find(people, {"org": "B"}, tx, sort=[("_id", 1)])])
        answers.append(tx.pending.flushes)
        return answers

    assert await committed(client, db, step) == [
        ["p2", "p5"], ["p2", "p4", "p5"], ["p1", "p2", "p4", "p5"], ["p2", "p4", "p1", "p5"],
        ["p1", "p2", "p4", "p5"], ["p9"], 0]


@pytest.mark.parametrize(("inserted", "query", "options"), [
    pytest.param({"_id": 7, "org": "A"}, {"org": "A"}, {"sort": [("_id", 1)]}, id="a-sort-across-types"),
    pytest.param({"_id": "p7", "org": "A"}, {"org": "A"}, {"limit": 1}, id="a-limit"),
    pytest.param({"_id": "p7", "org": "A"}, {"org": {"$in": ["A"]}}, {}, id="an-operator"),
    pytest.param({"_id": "p7", "org": "A", "n": {"m": 1}}, {"org": "A"}, {"sort": [("n.m", 1)]}, id="a-nested-sort"),
])
async def test_a_query_the_waiting_inserts_cannot_answer_in_memory_sends_them_first(
    database: tuple[Client, Database], inserted: dict[str, object], query: dict[str, object],
    options: dict[str, Any],
) -> None:
    client, db = database
    await db["people"].insert_one({"_id": "p1", "org": "A", "n": {"m": 2}})

    async def step(tx: Transaction) -> tuple[int, int]:
        tx.insert(db["people"], inserted)
        found = await find(db["people"], query, tx, **options)
        return len(found), tx.pending.flushes

    assert await committed(client, db, step) == (1 if "limit" in options else 2, 1)


async def test_a_batch_looks_up_its_documents_by_id_together_and_each_finds_its_own_as_written(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    items = db["items"]
    await items.insert_many([{"_id": f"o-{n}", "n": n} for n in range(40)])
    keys = [f"o-{n}" for n in range(40)]

    async def step(tx: Transaction) -> tuple[int, int, object, object]:
        await tx.pending.look_up(items, [*keys, "o-404", "o-1", 3.5, ["o-2"], None])  # no keys: left out
        looked_up = tx.pending.reads
        for n, key in enumerate(keys):  # each reads its document by id, then replaces it: nothing more is read
            found = await find_one(items, {"_id": key}, tx)
            assert found == {"_id": key, "n": n}
            found["n"] += 100  # the caller's own copy
            tx.replace(items, key, found)
        again = await find_one(items, {"_id": "o-7"}, tx)  # as written, not as looked up
        return looked_up, tx.pending.reads, again, await find_one(items, {"_id": "o-404"}, tx)

    # 41 keys, 25 to a read: two reads, and none after them.
    assert await committed(client, db, step) == (2, 2, {"_id": "o-7", "n": 107}, None)
    assert await find_one(items, {"_id": "o-39"}) == {"_id": "o-39", "n": 139}


@pytest.mark.parametrize("write", ["update", "delete", "update_now", "update_now by a field", "replace_if", "replace"])
async def test_a_document_looked_up_is_read_again_once_a_write_that_may_change_it_is_sent(
    database: tuple[Client, Database], write: str,
) -> None:
    client, db = database
    items = db["items"]
    await items.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}, {"_id": 3, "n": 3}])

    async def step(tx: Transaction) -> tuple[object, object, int]:
        await tx.pending.look_up(items, [1, 2, 3])
        if write == "update":
            tx.update(items, {"n": {"$gte": 2}}, {"$set": {"n": 20}}, many=True)
        elif write == "delete":
            tx.delete(items, 2)
        elif write == "update_now":
            assert await tx.update_now(items, {"_id": 2}, {"$set": {"n": 20}}) == 1
        elif write == "update_now by a field":  # which documents it changed is not known: every one is read again
            assert await tx.update_now(items, {"n": 2}, {"$set": {"n": 20}}) == 1
        elif write == "replace_if":
            assert await tx.replace_if(items, {"_id": 2, "n": 2}, {"_id": 2, "n": 20}) == 1
        else:  # a replacement by id: sent with the next flush, it changes that document only
            tx.replace(items, 2, {"_id": 2, "n": 20})
            await tx.pending.flush()
        return await find_one(items, {"_id": 2}, tx), await find_one(items, {"_id": 1}, tx), tx.pending.reads

    expected = {"update": ({"_id": 2, "n": 20}, {"_id": 1, "n": 1}, 3), "delete": (None, {"_id": 1, "n": 1}, 3),
                # a write sent now whose query names its document by `_id`, and a replacement by id: only document
                # 2 is read again; 1 is still known
                "update_now": ({"_id": 2, "n": 20}, {"_id": 1, "n": 1}, 2),
                "update_now by a field": ({"_id": 2, "n": 20}, {"_id": 1, "n": 1}, 3),
                "replace_if": ({"_id": 2, "n": 20}, {"_id": 1, "n": 1}, 2),
                "replace": ({"_id": 2, "n": 20}, {"_id": 1, "n": 1}, 2)}[write]
    assert await committed(client, db, step) == expected


async def test_a_batch_looks_up_documents_by_a_fields_values_together_and_each_finds_its_own(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    awards = db["awards"]
    await awards.insert_many([{"_id": f"a-{n}", "org": f"o-{n % 30}", "n": n} for n in range(60)])

    async def step(tx: Transaction) -> tuple[int, list[list[int]], list[Any], int]:
        await tx.pending.look_up_by(awards, "org", [f"o-{n}" for n in range(30)] + ["o-404", None, 3.5])
        looked_up = tx.pending.reads
        found = [sorted(d["n"] for d in await find_by(awards, "org", f"o-{n}", tx)) for n in range(30)]
        return looked_up, found, await find_by(awards, "org", "o-404", tx), tx.pending.reads

    # 31 values, 25 to a read: two reads, and none after them; a value no document holds is known to have none.
    looked_up, found, none, reads = await committed(client, db, step)
    assert (looked_up, reads, none) == (2, 2, [])
    assert found == [[n, n + 30] for n in range(30)]


@pytest.mark.parametrize("write", ["insert", "update", "update_now"])
async def test_what_was_looked_up_by_a_field_is_read_again_once_the_transaction_sends_a_write_there(
    database: tuple[Client, Database], write: str,
) -> None:
    client, db = database
    awards = db["awards"]
    await awards.insert_many([{"_id": "a-1", "org": "o-1", "status": "proposed"},
                              {"_id": "a-2", "org": "o-2", "status": "proposed"}])

    async def step(tx: Transaction) -> tuple[list[Any], list[Any], int]:
        await tx.pending.look_up_by(awards, "org", ["o-1", "o-2"])
        if write == "insert":
            tx.insert(awards, {"_id": "a-3", "org": "o-1", "status": "proposed"})
        elif write == "update":
            tx.update(awards, {"org": "o-1"}, {"$set": {"status": "cancelled"}}, many=True)
        else:
            assert await tx.update_now(awards, {"_id": "a-1"}, {"$set": {"status": "cancelled"}}) == 1
        return await find_by(awards, "org", "o-1", tx), await find_by(awards, "org", "o-2", tx), tx.pending.reads

    first, second, reads = await committed(client, db, step)
    assert {"insert": [("a-1", "proposed"), ("a-3", "proposed")], "update": [("a-1", "cancelled")],
            "update_now": [("a-1", "cancelled")]}[write] == sorted((d["_id"], d["status"]) for d in first)
    assert second == [{"_id": "a-2", "org": "o-2", "status": "proposed"}]
    # An insert waits and is answered beside what was looked up; any other write is sent, and each value read again.
    assert reads == (1 if write == "insert" else 3)


async def test_a_value_held_in_an_array_is_left_to_the_database(database: tuple[Client, Database]) -> None:
    client, db = database
    awards = db["awards"]
    await awards.insert_many([{"_id": "a-1", "org": "o-1"}, {"_id": "a-2", "org": ["o-1", "o-2"]}])

    async def step(tx: Transaction) -> tuple[list[str], list[str], list[str], int]:
        await tx.pending.look_up_by(awards, "org", ["o-1", "o-2"])
        looked_up = tx.pending.reads
        one = sorted(d["_id"] for d in await find_by(awards, "org", "o-1", tx))
        two = sorted(d["_id"] for d in await find_by(awards, "org", "o-2", tx))
        outside = sorted(d["_id"] for d in await find_by(awards, "org", "o-1"))
        return one, two, outside, tx.pending.reads - looked_up

    # Nothing of the look-up is kept: each value is asked of the database (once), which matches the array's elements.
    assert await committed(client, db, step) == (["a-1", "a-2"], ["a-2"], ["a-1", "a-2"], 2)


async def test_a_look_up_by_a_field_is_answered_beside_the_waiting_inserts_in_order_without_sending_them(
    database: tuple[Client, Database],
) -> None:
    client, db = database
    people = db["people"]
    await people.insert_many([{"_id": "p-2", "org": "o-1"}, {"_id": "p-4", "org": "o-1"}, {"_id": "p-9", "org": "o-2"}])

    async def step(tx: Transaction) -> tuple[list[list[str]], int, int]:
        await tx.pending.look_up_by(people, "org", ["o-1", "o-2"])
        seen = []
        for new in ("p-3", "p-1", "p-5"):  # each reads its organization's people in order, then adds one
            seen.append([d["_id"] for d in await find_by(people, "org", "o-1", tx, sort=[("_id", 1)])])
            tx.insert(people, {"_id": new, "org": "o-1"})
        seen.append([d["_id"] for d in await find_by(people, "org", "o-1", tx, sort=[("_id", 1)])])
        return seen, tx.pending.reads, tx.pending.flushes

    seen, reads, flushes = await committed(client, db, step)
    assert seen == [["p-2", "p-4"], ["p-2", "p-3", "p-4"], ["p-1", "p-2", "p-3", "p-4"],
                    ["p-1", "p-2", "p-3", "p-4", "p-5"]]
    assert (reads, flushes) == (1, 0)  # the look-up only; the inserts went out with the commit
    assert await people.count_documents({"org": "o-1"}) == 5
