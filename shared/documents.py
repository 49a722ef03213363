"""How stores read and write MongoDB documents inside a handler's transaction.

Writes are collected, not sent one by one: at the end of the transaction (or of a group commit's batch) they go
out as one `bulk_write` per collection, in the order they were made, with the inbox and outbox writes. Every read
sees what the transaction wrote, mostly without sending the writes first:

- a look-up by `_id` of a collection whose waiting writes are all inserts and replacements by `_id` is answered
  from them, and from the database where they start from a stored document (a batch of projections, or of
  attendances, reads one document by id and replaces it, event after event);
- a query by plain equality of a collection whose waiting writes are all inserts is answered from them and the
  database, in its sort order where that is decided by comparing strings or integers (the usual create-once
  check: a batch of proposals, or of people, reads, then inserts, event after event);
- any other read of a collection with writes waiting sends them first.

A transaction reads one snapshot, so a read asked again finds what it found before, unless the transaction itself
wrote to that collection since: such a read is answered from what the first one found (a batch of interests reads
the same fair and project once, not once per event). What the database holds for a document by `_id` is kept
until the transaction sends a write that may change it, so a batch's handlers can have theirs read together
before they run (`PendingWrites.look_up`: a batch of 32 projections asks for its documents in two reads, not 32).
The same holds for the documents whose field equals a value (`ByField`, `find_by`: a batch of interests reads the
awards of its organizations and of its projects in one read each, not two per event).
Outside a transaction (read queries, operators' commands) the same read functions go straight to the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import bson
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

Document = dict[str, Any]
Collection = AsyncCollection[Document]
Sort = Sequence[tuple[str, int]]
WriteOp = InsertOne[Document] | ReplaceOne[Document] | UpdateOne | UpdateMany | DeleteOne
# Query values a waiting document is compared with in memory exactly as the database compares them.
_PLAIN = (str, int)
T = TypeVar("T")
# A read that found more documents than this is not kept for asking again: such reads (a batch's projects, every
# profile) are each made once, and keeping them would only cost the copying.
REMEMBERED_AT_MOST = 64
# `_id`s asked for in one `$in` by `look_up`: the embedded server compares each document it finds with every value
# of the `$in` (as the relay's statements, `shared.outbox.ROWS_PER_STATEMENT`).
LOOKED_UP_TOGETHER = 25


class Undecided:
    """The waiting writes cannot answer this read in memory: send them, then read."""


@dataclass(frozen=True)
class ByField:
    """A look-up of every document whose `field` equals `value` (a string or an integer), not of one by `_id`:
    what `find_by` asks, and what a batch's look-ups may name (`shared.subscriptions.LooksUp`)."""

    field: str
    value: Any


UNDECIDED = Undecided()


@dataclass
class PendingWrites:
    """The writes a transaction has made and not yet sent, in order, grouped by collection when sent."""

    session: AsyncClientSession
    queued: list[tuple[Collection, WriteOp]] = field(default_factory=list)
    flushes: int = 0
    # By collection name: the documents of the waiting inserts; the collections with replacements waiting; those
    # with any other write waiting (an update, a delete: what it leaves is known only to the database).
    inserted: dict[str, list[Document]] = field(default_factory=dict)
    replaced: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    unkeyed: set[str] = field(default_factory=set)  # with an insert whose `_id` is neither a string nor an integer
    # By collection name, then by `_id`: the waiting inserts and replacements of that document, in order, as
    # (kind, document), kind "insert", "upsert" (a replacement that inserts where none is stored) or "replace".
    by_id: dict[str, dict[Any, list[tuple[str, Document]]]] = field(default_factory=dict)
    # By collection name, then by question: what a read found there (as BSON), while this transaction has written
    # nothing there since.
    remembered: dict[str, dict[bytes, list[bytes]]] = field(default_factory=dict)
    reads: int = 0  # reads sent to the database (the others were answered from what an earlier one found)
    # By collection name, then by (question, builder): what `find_one_as` built from a read, for as long as the read
    # is remembered.
    built: dict[str, dict[tuple[bytes, Callable[[Document], Any]], Any]] = field(default_factory=dict)
    # By collection name, then by `_id`: the document as the database holds it for this transaction (BSON; None:
    # none is stored), until the transaction sends a write that may change it.
    stored: dict[str, dict[Any, bytes | None]] = field(default_factory=dict)
    # By collection name, then by field, then by value: the documents the database holds with that value there, for
    # this transaction (BSON; None: the database is to be asked), until the transaction sends a write there.
    by_field: dict[str, dict[str, dict[Any, list[bytes] | None]]] = field(default_factory=dict)

    def add(self, collection: Collection, op: WriteOp, inserted: Document | None = None,
            replaced: tuple[Any, Document, bool] | None = None) -> None:
        """Queue `op`; `inserted` is its document when it is an insert, `replaced` its (`_id`, document, upsert)
        when it replaces a document by `_id`."""
        self.forget(collection)
        self.queued.append((collection, op))
        name = collection.name
        if inserted is not None:
            self.inserted.setdefault(name, []).append(inserted)
            if _is_key(inserted.get("_id")):
                self.by_id.setdefault(name, {}).setdefault(inserted["_id"], []).append(("insert", inserted))
            elif "_id" in inserted:  # an id not compared in memory (a float, an ObjectId): look-ups by id ask the
                self.unkeyed.add(name)  # database, after sending the writes
            # (without an `_id` the driver gives it an ObjectId, which no look-up by a key above can name)
        elif replaced is not None and _is_key(replaced[0]):
            key, document, upsert = replaced
            self.replaced.add(name)
            self.by_id.setdefault(name, {}).setdefault(key, []).append(
                ("upsert" if upsert else "replace", {**document, "_id": key}))
        else:
            self.changed.add(name)

    def waiting_on(self, collection: Collection) -> bool:
        name = collection.name
        return name in self.changed or name in self.inserted or name in self.replaced

    def written(self, collection: Collection, key: Any) -> list[tuple[str, Document]] | Undecided:
        """The waiting inserts and replacements of the document `_id` = `key`, in order (none: the database
        holds it as it is); UNDECIDED if another kind of write waits in `collection`."""
        if collection.name in self.changed or collection.name in self.unkeyed or not _is_key(key):
            return UNDECIDED
        return self.by_id.get(collection.name, {}).get(key, [])

    def among_inserts(self, collection: Collection, query: Mapping[str, Any], *,
                      first: bool = True) -> list[Document] | Undecided:
        """The waiting inserts into `collection` that `query` (plain equality) matches, in the order they were
        made, as the database would return them (with `first`, the first one only); UNDECIDED if other writes
        wait there or the query is more than equality."""
        if collection.name in self.changed or collection.name in self.replaced or not all(
                not key.startswith("$") and isinstance(value, _PLAIN) for key, value in query.items()):
            return UNDECIDED
        found: list[Document] = []
        for document in self.inserted.get(collection.name, []):
            matched = _matches(document, query)
            if matched is None:
                return UNDECIDED
            if matched:
                found.append(_stored(collection, document))
                if first:
                    break
        return found

    def forget(self, collection: Collection) -> None:
        """What reads of `collection` found no longer holds: this transaction writes there."""
        self.remembered.pop(collection.name, None)
        self.built.pop(collection.name, None)

    async def read(self, collection: Collection, question: Mapping[str, Any],
                   ask: Callable[[], Awaitable[list[Document]]]) -> list[Document]:
        """What `ask` finds in `collection` (`question` says what it asks, for recognising it again). Nothing of
        the transaction may wait to be written there. Asked again before the transaction writes there, the
        answer is what the database found the first time (the transaction's snapshot has not changed), as
        documents of their own: the caller may change them."""
        known = self.remembered.setdefault(collection.name, {})
        key = bson.encode(question)
        options = collection.codec_options
        found = known.get(key)
        if found is not None:
            return [bson.decode(raw, codec_options=options) for raw in found]
        self.reads += 1
        documents = await ask()
        if len(documents) <= REMEMBERED_AT_MOST and collection.name in self.remembered:
            known[key] = [bson.encode(d, codec_options=options) for d in documents]
        return documents

    async def look_up(self, collection: Collection, keys: Iterable[Any]) -> None:
        """Read what the database holds for each of these `_id`s not read yet, a few at a time, and keep it for the
        look-ups by `_id` to come (`stored_by_id`)."""
        known = self.stored.setdefault(collection.name, {})
        wanted = [key for key in dict.fromkeys(k for k in keys if _is_key(k)) if key not in known]
        options = collection.codec_options
        for start in range(0, len(wanted), LOOKED_UP_TOGETHER):
            chunk = wanted[start:start + LOOKED_UP_TOGETHER]
            self.reads += 1
            found = await collection.find({"_id": {"$in": chunk}}, session=self.session).to_list()
            by_key = {document["_id"]: document for document in found}
            for key in chunk:
                document = by_key.get(key)
                known[key] = None if document is None else bson.encode(document, codec_options=options)

    async def look_up_by(self, collection: Collection, name: str, values: Iterable[Any]) -> None:
        """Read what the database holds with each of these values in field `name`, a few values at a time, and keep
        it for `find_by`. Where a document holds anything but a string or an integer there (an array that holds a
        value, say), nothing of its read is kept: `find_by` asks the database for each of those values itself (as
        `find` does, once until the transaction writes there)."""
        known = self.by_field.setdefault(collection.name, {}).setdefault(name, {})
        wanted = [v for v in dict.fromkeys(v for v in values if _is_key(v)) if v not in known]
        options = collection.codec_options
        for start in range(0, len(wanted), LOOKED_UP_TOGETHER):
            chunk = wanted[start:start + LOOKED_UP_TOGETHER]
            self.reads += 1
            found = await collection.find({name: {"$in": chunk}}, session=self.session).to_list()
            kept: dict[Any, list[bytes]] = {value: [] for value in chunk}
            for document in found:
                value = document.get(name)
                if not (_is_key(value) and value in kept):  # which value it answers is the database's to say
                    known.update(dict.fromkeys(chunk))
                    break
                kept[value].append(bson.encode(document, codec_options=options))
            else:
                known.update(kept)

    async def stored_by_id(self, collection: Collection, key: Any) -> Document | None:
        """The document `_id` = `key` as the database holds it for this transaction (its waiting writes not
        counted), as a document of the caller's own; read once until the transaction sends a write there. `key` is
        a string or an integer (`_is_key`), as `find_one` makes sure before it asks."""
        known = self.stored.setdefault(collection.name, {})
        if key not in known:
            await self.look_up(collection, [key])
        raw = known[key]
        return None if raw is None else bson.decode(raw, codec_options=collection.codec_options)

    def _sending(self, name: str) -> None:
        """The waiting writes of collection `name` are being sent: what they may change is no longer known."""
        self.by_field.pop(name, None)
        known = self.stored.get(name)
        if not known:
            return
        if name in self.changed or name in self.unkeyed:  # (an insert without an `_id` gets an ObjectId: no key)
            del self.stored[name]
            return
        for key in self.by_id.get(name, {}):
            known.pop(key, None)

    def sent(self, collection: Collection, query: Mapping[str, Any] | None = None) -> None:
        """A write went to `collection` outside the waiting ones (`update_now`, `replace_if`): nothing read there
        holds any more, but the documents looked up by `_id` other than the one the write's `query` names by its
        `_id` (a job ending a group of standstills replaces each award it looked up with the group's)."""
        self.forget(collection)
        self.by_field.pop(collection.name, None)
        key = query.get("_id") if query is not None else None
        known = self.stored.get(collection.name)
        if known is not None and _is_key(key):
            known.pop(key, None)
        else:
            self.stored.pop(collection.name, None)

    async def flush(self) -> None:
        """Send every waiting write: one ordered `bulk_write` per collection, collections in first-write order."""
        if not self.queued:
            return
        for name in {collection.name for collection, _ in self.queued}:
            self._sending(name)
        queued, self.queued = self.queued, []
        self.inserted, self.replaced, self.changed, self.unkeyed, self.by_id = {}, set(), set(), set(), {}
        groups: dict[str, tuple[Collection, list[WriteOp]]] = {}
        for collection, op in queued:
            groups.setdefault(collection.name, (collection, []))[1].append(op)
        for collection, ops in groups.values():
            self.forget(collection)
            try:
                await collection.bulk_write(ops, ordered=True, session=self.session)
            except BulkWriteError as exc:
                # A unique index refused a write: the same fault a single insert raises, so a competing writer
                # is handled the same way (the unit of work runs the handler again and it sees the winner).
                duplicate = next((e for e in exc.details.get("writeErrors", []) if e.get("code") == 11000), None)
                if duplicate is not None:
                    raise DuplicateKeyError(duplicate.get("errmsg", "duplicate key"), 11000, duplicate) from exc
                raise
        self.flushes += 1


class Writer:
    """The write side of a transaction, for stores: every write waits to be sent with the others."""

    def __init__(self, pending: PendingWrites) -> None:
        self.pending = pending

    @property
    def session(self) -> AsyncClientSession:
        return self.pending.session

    def insert(self, collection: Collection, document: Document) -> None:
        self.pending.add(collection, InsertOne(document), inserted=document)

    def insert_many(self, collection: Collection, documents: Sequence[Document]) -> None:
        for document in documents:
            self.insert(collection, document)

    def replace(self, collection: Collection, key: Any, document: Document, *, upsert: bool = False) -> None:
        self.pending.add(collection, ReplaceOne({"_id": key}, document, upsert=upsert),
                         replaced=(key, document, upsert))

    def update(self, collection: Collection, query: Mapping[str, Any], change: Mapping[str, Any], *,
               upsert: bool = False, many: bool = False) -> None:
        op: WriteOp = (UpdateMany(dict(query), dict(change), upsert=upsert) if many
                       else UpdateOne(dict(query), dict(change), upsert=upsert))
        self.pending.add(collection, op)

    def delete(self, collection: Collection, key: Any) -> None:
        self.pending.add(collection, DeleteOne({"_id": key}))

    async def update_now(self, collection: Collection, query: Mapping[str, Any], change: Mapping[str, Any]) -> int:
        """A conditional update whose outcome the caller needs at once (a lost race): sent now, after whatever
        waits; returns how many documents it matched."""
        await self.pending.flush()
        self.pending.sent(collection, query)
        result = await collection.update_one(dict(query), dict(change), session=self.session)
        return int(result.matched_count)

    async def replace_if(self, collection: Collection, query: Mapping[str, Any], document: Document) -> int:
        """Replace the document matching `query` (an optimistic version check) now, after whatever waits;
        returns how many it matched: 0 means a competing writer came first."""
        await self.pending.flush()
        self.pending.sent(collection, query)
        result = await collection.replace_one(dict(query), document, session=self.session)
        return int(result.matched_count)

    async def before_read(self, collection: Collection) -> None:
        if self.pending.waiting_on(collection):
            await self.pending.flush()


async def find_one(collection: Collection, query: Mapping[str, Any], writer: Writer | None = None, *,
                   projection: Mapping[str, Any] | None = None, sort: Sort | None = None) -> Document | None:
    """One document, seeing the transaction's own writes when `writer` is given."""
    if writer is None:
        return await collection.find_one(dict(query), projection, sort=sort)
    if projection is None and sort is None and set(query) == {"_id"} and _is_key(query["_id"]):
        written = writer.pending.written(collection, query["_id"]) if writer.pending.waiting_on(collection) else []
        if not isinstance(written, Undecided):
            return await _as_written(collection, query["_id"], written, writer)
    waiting = (writer.pending.among_inserts(collection, query) if projection is None and sort is None
               and writer.pending.waiting_on(collection) else UNDECIDED)
    if isinstance(waiting, Undecided):
        await writer.before_read(collection)

        async def ask() -> list[Document]:
            found = await collection.find_one(dict(query), projection, sort=sort, session=writer.session)
            return [] if found is None else [found]

        found = await writer.pending.read(collection, {"find_one": query, "projection": projection,
                                                       "sort": sort}, ask)
        return found[0] if found else None
    stored = await collection.find_one(dict(query), session=writer.session)
    return stored if stored is not None else (waiting[0] if waiting else None)


async def find_one_as(collection: Collection, query: Mapping[str, Any], writer: Writer | None,
                      build: Callable[[Document], T], *, projection: Mapping[str, Any] | None = None) -> T | None:
    """`build` of the document `find_one` finds (only the fields `projection` names, when given), if any. Inside a
    transaction, a read asked again before the transaction writes to `collection` gets the very value built the
    first time: `build` must make one nobody changes (a frozen model), and is then paid once per batch, not once
    per event (a fair of 550 invitees, each with the projects its seat covers, is read and validated by every
    interest of the batch)."""
    if writer is None or writer.pending.waiting_on(collection):
        found = await find_one(collection, query, writer, projection=projection)
        return build(found) if found is not None else None
    built = writer.pending.built.setdefault(collection.name, {})
    key = (bson.encode({"find_one": query, "projection": projection}), build)
    if key in built:
        value: T | None = built[key]
        return value
    found = await find_one(collection, query, writer, projection=projection)
    value = build(found) if found is not None else None
    if writer.pending.built.get(collection.name) is built:  # nothing was written there meanwhile
        built[key] = value
    return value


async def _as_written(collection: Collection, key: Any, written: list[tuple[str, Document]],
                      writer: Writer) -> Document | None:
    """The document `_id` = `key` as the transaction's waiting writes of it leave it. The database is asked only
    where they start from what it holds (a replacement that inserts nothing); nothing else waiting touches this
    document, so it answers without them being sent."""
    document: Document | None = None
    if not written or written[0][0] == "replace":
        document = await writer.pending.stored_by_id(collection, key)
    for kind, replacement in written:  # an insert over a stored document fails the commit: it stands as written
        document = replacement if kind != "replace" or document is not None else None
    return _stored(collection, document) if written and document is not None else document


def _is_key(value: Any) -> bool:
    """An `_id` the waiting writes are kept by: a string or an integer, compared in memory as the database does."""
    return isinstance(value, _PLAIN) and not isinstance(value, bool)


def _stored(collection: Collection, document: Document) -> Document:
    """`document` as the database would return it: a copy of its own, in the collection's types."""
    options = collection.codec_options
    stored: Document = bson.decode(bson.encode(document, codec_options=options), codec_options=options)
    return stored


def _matches(document: Document, query: Mapping[str, Any]) -> bool | None:
    """Whether every `path: value` of `query` holds in `document`, as the database decides equality of a string
    or an integer; None where it would need more than that (a path through an array, a float, a date)."""
    for path, wanted in query.items():
        value: Any = document
        for part in path.split("."):
            if isinstance(value, list | tuple):
                return None
            if not isinstance(value, Mapping) or part not in value:
                return False
            value = value[part]
        if not isinstance(value, _PLAIN):  # an array, a number of another type, a date: left to the database
            return None
        if isinstance(value, bool) != isinstance(wanted, bool) or value != wanted:
            return False
    return True


async def find(collection: Collection, query: Mapping[str, Any], writer: Writer | None = None, *,
               projection: Mapping[str, Any] | None = None, sort: Sort | None = None, limit: int = 0,
               skip: int = 0) -> list[Document]:
    """Every document matching `query` (in `sort` order), seeing the transaction's own writes."""

    async def ask(session: AsyncClientSession | None = None) -> list[Document]:
        cursor = collection.find(dict(query), projection, session=session, limit=limit, skip=skip)
        if sort:
            cursor = cursor.sort(list(sort))
        return await cursor.to_list()

    if writer is None:
        return await ask()
    if projection is None and not limit and not skip and writer.pending.waiting_on(collection):
        waiting = writer.pending.among_inserts(collection, query, first=False)
        if not isinstance(waiting, Undecided):
            # The stored ones and the waiting inserts, in `sort` order where it can be decided in memory (the
            # create-once check of a batch of people, each reading its organization's people, then inserting).
            found = _in_order([*await ask(writer.session), *waiting], sort)
            if found is not None:
                return found
    await writer.before_read(collection)
    return await writer.pending.read(collection, {"find": query, "projection": projection, "sort": sort,
                                                  "limit": limit, "skip": skip}, lambda: ask(writer.session))


async def find_by(collection: Collection, name: str, value: Any, writer: Writer | None = None, *,
                  sort: Sort | None = None) -> list[Document]:
    """Every document whose field `name` equals `value` (in `sort` order), seeing the transaction's own writes.
    Inside a transaction the database is asked once for each value until the transaction sends a write to
    `collection`, and a batch's look-ups (`ByField`) may have asked for many values in one read before its handlers
    ran. Waiting inserts are answered beside what the database holds, without sending them, where `find` would
    (a batch of people, each reading its organization's people, then inserting one)."""
    question = {name: value}
    if writer is None or not _is_key(value):
        return await find(collection, question, writer, sort=sort)
    pending = writer.pending
    waiting = pending.among_inserts(collection, question, first=False) if pending.waiting_on(collection) else []
    if isinstance(waiting, Undecided):
        await writer.before_read(collection)  # the waiting writes sent, what was kept of `collection` is forgotten
        waiting = []
    known = pending.by_field.setdefault(collection.name, {}).setdefault(name, {})
    if value not in known:
        await pending.look_up_by(collection, name, [value])
    found = known[value]
    options = collection.codec_options
    documents = None if found is None else _in_order(
        [*(bson.decode(raw, codec_options=options) for raw in found), *waiting], sort)
    return documents if documents is not None else await find(collection, question, writer, sort=sort)


def _in_order(documents: list[Document], sort: Sort | None) -> list[Document] | None:
    """`documents` in `sort` order as the database orders them, or None where that needs more than comparing
    strings with strings or integers with integers in top-level fields (then the database sorts, after the
    waiting writes are sent). Without a sort, as they are: the stored ones, then the inserts in order."""
    for field_name, direction in reversed(list(sort or ())):
        values = [d.get(field_name) for d in documents]
        if "." in field_name or not (all(isinstance(v, str) for v in values) or all(
                isinstance(v, int) and not isinstance(v, bool) for v in values)):
            return None
        documents = sorted(documents, key=lambda d: d[field_name], reverse=direction < 0)
    return documents


async def count(collection: Collection, query: Mapping[str, Any], writer: Writer | None = None) -> int:
    session = None
    if writer is not None:
        await writer.before_read(collection)
        session = writer.session
    return int(await collection.count_documents(dict(query), session=session))
