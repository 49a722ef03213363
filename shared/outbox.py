"""The transactional outbox and its relay.

A state change and the events it causes are written in one transaction (`Outbox.add`); the relay publishes
what is unsent, persistent and with publisher confirms, then marks it sent. A crash in between publishes the
event again later with the same `event_id`, never loses it; consumers' inboxes drop the repeat.

Several replicas of a service share one outbox, and each runs a relay. A relay first claims the rows it is about
to publish with a lease (`lease`, a token of its own, until `lease_until`, held by `lease_owner`, its process):
another relay skips a row whose lease has not expired, so each event is published once in the normal case. A
relay that dies holding a lease only delays its rows: as soon as another process of the service finds it dead
(`shared.sessions`, a heartbeat older than PROCESS_STALE_SECONDS) its leases are released (`Outbox.release`), and
at the latest once the lease expires another relay claims and publishes them. At-least-once is kept; a relay that
was merely slow past its lease may publish a row a second time, which the consumers' inboxes drop.

A lease costs a write of every row it covers, about a third of the database's work per event (bench/PROFILE.md),
and only replicas need it. So a relay leases only while another process of its service is alive (`alone`, from
`shared.sessions`, which counts them every heartbeat); alone, it publishes the unleased rows it reads and marks
them sent, as before leases. A process that starts beside live ones starts its relay only once each of them says
in its heartbeat that it leases (`leasing`); two processes started in the same second may both relay unleased
until their next heartbeat, publishing a row twice at worst.

The outbox holds only what waits: a published row is copied to the sent events (`outbox_sent`, kept
`retention_seconds` to answer "what did this service announce") and deleted from the outbox. Neither collection
needs an index beyond `_id`: the relay reads the outbox in `_id` order, and a sent event's `_id` is made when it
was sent, so its expiry is a range of `_id`. Each secondary index made every write of the embedded server cost
more (the first about three times as much: bench/PROFILE.md); with the unsent rows marked in place, the outbox
needed three (unsent in order, the event id, the time sent), and its rows cost 1.8-2.1 ms of the server's CPU
each, written and marked, against 0.5-0.6 ms this way. A relay that dies between the copy and the delete
publishes the row again, and the sent events then show it twice, as it was.

A relay alone in its service does not read back what its own process committed: each transaction hands its rows
over as it commits (`Outbox.handing`), and the relay reads the outbox only to learn what it cannot know that
way (at its start, after a failed round, past HANDED_AT_MOST rows waiting, beside other relays, and every
`poll_seconds` for a row written otherwise). A read that crosses a commit publishes each row once: rows of a
transaction still open are left to its hand-over, rows handed over while the read ran are taken once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession

from shared.envelope import Envelope
from shared.mongo import Database, Document, Expiry, drop_index

log = logging.getLogger(__name__)

OUTBOX = "outbox"
SENT = "outbox_sent"
# Indexes of the layout before `SENT`, where a sent row stayed in the outbox marked `sent`: dropped at the start.
EARLIER_INDEXES = ("unsent_in_order", "event_id_unique", "sent_expiry")
SENT_EXPIRY = "sent_events_expiry"  # on `outbox_sent`: the plain index its retention deletes by
# Rows of that layout moved at a time (`Outbox.adopt`): a week of sent events in statements of a thousand.
ADOPTED_PER_ROUND = 1_000
# Rows named in one `_id $in` of a claim or a delete: the embedded server compares each row it changes with every
# value of the `$in`, so a statement for a whole batch of 200 costs more per row than several of 25
# (bench/PROFILE.md: 1.3 against 0.93 ms of the server's CPU per row then marked sent).
ROWS_PER_STATEMENT = 25
# Claimable rows one scan reads (`OutboxRelay._next_rows`): 25 batches, a few MB of envelopes at most.
SCANNED = 5_000
# Rows of committed transactions the outbox holds for its relay at most (`Outbox.committed`); past that it
# forgets them, and the relay reads them from the database instead.
HANDED_AT_MOST = SCANNED


class Publisher(Protocol):
    async def __call__(self, envelope: Envelope) -> None: ...


def outbox_document(envelope: Envelope) -> Document:
    return {
        "_id": ObjectId(),
        "event_id": str(envelope.event_id),
        "type": envelope.type,
        "envelope": envelope.model_dump(mode="json"),
        "created_at": datetime.now(UTC),
    }


def sent_document(row: Document, sent_at: datetime) -> Document:
    """What the sent events keep of a published outbox row; `sent_at` is what its retention counts from."""
    return {"_id": ObjectId(), "outbox_id": row["_id"],
            "event_id": row.get("event_id"), "type": row.get("type"), "envelope": row.get("envelope"),
            "created_at": row.get("created_at"), "sent_at": sent_at}


class Outbox:
    """Writes events in the caller's transaction and wakes the relay after the commit.

    A sent event is kept in `sent` `retention_seconds` after it was sent, then the service deletes it
    (`expiries`, over a plain index on `sent_at`): the relay needs only the unsent ones, which are all the
    outbox holds. Not by the range of `_id` its time would give: the embedded server answers a range or a sort
    of `_id` by reading every document, under the lock every statement waits for (145 ms for 10,000 sent
    events, 697 ms for 50,000, once a minute), where a range of a plain index costs what it deletes.
    """

    def __init__(self, db: Database, *, retention_seconds: int = 7 * 86_400) -> None:
        self.collection = db[OUTBOX]
        self.sent = db[SENT]
        self.retention_seconds = retention_seconds
        self.wakeup = asyncio.Event()
        self.expiries = [Expiry(self.sent, "sent_at", retention_seconds, SENT_EXPIRY, label=OUTBOX)]
        # Rows written in a transaction whose commit is not yet known, by the transaction's session (`handing`).
        self._writing: dict[int, list[Document]] = {}
        # Rows of transactions committed since the relay last took them (`take_committed`); `overflowed` when
        # more than HANDED_AT_MOST came meanwhile and were forgotten.
        self._committed: list[Document] = []
        self._overflowed = False

    async def ensure_indexes(self) -> None:
        """No index on the outbox beyond `_id`, one on the sent events' time; what the earlier layout indexed and
        marked sent is put in today's (`adopt`)."""
        existing = await self.collection.index_information()
        for name in EARLIER_INDEXES:
            if name in existing:
                await drop_index(self.collection, name)
        for expiry in self.expiries:
            await expiry.ensure_index()
        await self.adopt()

    async def adopt(self) -> int:
        """Move the rows an earlier version marked sent in the outbox itself to the sent events; how many.

        Run at every start and with every expiry round (`Service.expire`): a process of the earlier version still
        relaying during an upgrade marks rows so; the relay leaves such a row (`_claimable`), and the backlog
        counts it until it is moved. Each copy's `_id` carries the time it was sent, so its retention runs on.
        """
        moved = 0
        while rows := await self.collection.find({"sent": True}).limit(ADOPTED_PER_ROUND).to_list():
            now = datetime.now(UTC)
            await self._move(rows, [sent_document(row, row["sent_at"] if isinstance(row.get("sent_at"), datetime)
                                                  else now) for row in rows])
            moved += len(rows)
        return moved

    async def add(self, envelopes: list[Envelope], session: AsyncClientSession | None) -> None:
        """Write `envelopes` in `session`'s transaction. Inside `handing(session)` the rows are the transaction's
        (an attempt again replaces them): handed to the relay once it has committed."""
        rows = [outbox_document(e) for e in envelopes]
        if session is not None and id(session) in self._writing:
            self._writing[id(session)] = rows
        if rows:
            await self.collection.insert_many(rows, session=session)

    @contextlib.contextmanager
    def handing(self, session: AsyncClientSession) -> Iterator[None]:
        """Around a transaction on `session` (`with_transaction`, its attempts again included): the rows it
        wrote to the outbox are handed to the relay when the block ends without an error (`committed`), so the
        relay need not read them back. On an error they are not: the transaction committed nothing, or its
        commit is unknown, and then the relay's next read of the outbox finds them."""
        self._writing[id(session)] = []
        try:
            yield
        except BaseException:
            self._writing.pop(id(session), None)
            raise
        self.committed(self._writing.pop(id(session), []))

    def writing(self) -> set[ObjectId]:
        """The rows of transactions whose commit is not yet known: each is handed over or dropped later."""
        return {row["_id"] for rows in self._writing.values() for row in rows}

    def committed(self, rows: list[Document]) -> None:
        """Rows now committed, for the relay (`take_committed`); the relay is woken if there are any."""
        if not rows:
            return
        if len(self._committed) + len(rows) > HANDED_AT_MOST:
            self._committed, self._overflowed = [], True
        else:
            self._committed.extend(rows)
        self.wakeup.set()

    def take_committed(self) -> tuple[list[Document], bool]:
        """The rows committed since the last take, and whether some were forgotten meanwhile."""
        rows, overflowed = self._committed, self._overflowed
        self._committed, self._overflowed = [], False
        return rows, overflowed

    def notify(self) -> None:
        self.wakeup.set()

    async def mark_sent(self, rows: list[Document]) -> None:
        """Copy published rows to the sent events, then delete them from the outbox: a failure in between
        publishes them again and keeps both copies, never loses the record of a publication."""
        if not rows:
            return
        now = datetime.now(UTC)
        await self._move(rows, [sent_document(row, now) for row in rows])

    async def _move(self, rows: list[Document], copies: list[Document]) -> None:
        """Insert `copies` of `rows` in the sent events, then delete `rows` from the outbox."""
        await self.sent.insert_many(copies)
        for ids in _by_ids([row["_id"] for row in rows]):
            await self.collection.delete_many(ids)

    async def release(self, owner: str) -> int:
        """Free the unsent rows `owner`'s relay leased (a process found dead, or stopping): claimable at once."""
        result = await self.collection.update_many(
            {"lease_owner": owner},
            {"$unset": {"lease": "", "lease_until": "", "lease_owner": ""}},
        )
        return int(result.modified_count)

    async def backlog(self) -> int:
        """Events waiting for the relay: every row of the outbox, which holds only those (the embedded server
        counts by reading each, so this stays cheap only because the outbox does)."""
        return await self.collection.estimated_document_count()

    async def oldest_unsent(self) -> datetime | None:
        """When the oldest event still waiting for the relay was written, if any waits."""
        doc = await self.collection.find_one({}, {"created_at": 1}, sort=[("_id", ASCENDING)])
        created = doc.get("created_at") if doc else None
        return created if isinstance(created, datetime) else None

    async def sent_retained(self) -> int:
        """Sent events the database still keeps (deleted once older than the retention)."""
        return await self.sent.estimated_document_count()


def _claimable(now: datetime) -> Document:
    """Rows that no relay holds: never leased, or leased until a moment already past; never one a process of an
    earlier version marked sent in the outbox itself during an upgrade (`Outbox.adopt` moves it).

    Written as one condition on `lease_until` (`$not $gt` matches a missing field too), not as an `$or`, which
    the embedded server answers by a scan of its own for each branch.
    """
    return {"lease_until": {"$not": {"$gt": now}}, "sent": {"$ne": True}}


def _by_ids(ids: list[ObjectId]) -> list[Document]:
    """`_id $in` conditions covering `ids`, ROWS_PER_STATEMENT at a time."""
    return [{"_id": {"$in": ids[i:i + ROWS_PER_STATEMENT]}} for i in range(0, len(ids), ROWS_PER_STATEMENT)]


class RelayTimeout(Exception):
    """A round's publishes were not all confirmed in time."""


class OutboxRelay:
    """Publishes the outbox in commit order, a batch at a time with pipelined confirms, claiming each batch
    with a lease of `lease_seconds` so that the relays of several replicas do not publish the same rows.

    Running (`start`) and alone in its service, the relay need not read back what its own process committed:
    the commit hands it the rows (`Outbox.handing`). At a few events a transaction, the read of the outbox was
    one more statement for every transaction (bench/PROFILE.md). It reads the outbox when it does not know every
    row waiting (at the start, after a failure, with more than a scan waiting, beside other relays), and at least
    every `poll_seconds` in any case, for a row written otherwise (a commit whose answer was lost, a row written
    outside a transaction).
    """

    def __init__(self, outbox: Outbox, publish: Publisher, *, batch: int = 200, poll_seconds: float = 0.5,
                 lease_seconds: float = 30.0, owner: str | None = None,
                 alone: Callable[[], bool] = lambda: False, confirm_seconds: float = 30.0) -> None:
        self.outbox = outbox
        self.alone = alone  # no other process of the service is alive: no lease is needed
        self.owner = owner or ObjectId().binary.hex()  # the process holding this relay's leases
        self.publish = publish
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.confirm_seconds = confirm_seconds  # a round's publishes all confirmed within this, or it fails
        self.published = 0
        self.contended = 0  # rows another relay claimed between this relay's read and its claim
        self.scans = 0  # reads of the outbox
        self.progressed_at = time.monotonic()  # the last round that published, or found nothing to publish
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._unleased = False  # a round that claimed without a lease is publishing
        self._scanned: deque[dict[str, Any]] = deque()  # rows the last scan found claimable, not yet claimed
        self._scanned_leasing = False  # whether that scan was made by a relay leasing (beside other relays)
        # Every claimable row is in `_scanned`, published, or in a transaction that will hand it over: the last
        # scan found fewer than SCANNED, and every row committed since was handed over.
        self._known = False
        self._scanned_at = -float("inf")  # time.monotonic() of the last scan

    @property
    def leasing(self) -> bool:
        """Every row this relay publishes from now on is leased first (no unleased round is under way)."""
        return not self.alone() and not self._unleased

    def start(self, after: Callable[[], Awaitable[None]] | None = None) -> None:
        """Relay from now on; with `after`, once it has returned (in the relay's task: stopping cancels it)."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(after), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            # The flag as well as the cancellation: a cancellation that arrives while the database driver is
            # reading can be absorbed there, and the loop must end anyway.
            self._stopping = True
            self.outbox.wakeup.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            # Stopping cleanly, it publishes nothing more: what it leased is another process's to publish now.
            with contextlib.suppress(Exception):
                await self.outbox.release(self.owner)

    async def _run(self, after: Callable[[], Awaitable[None]] | None = None) -> None:
        if after is not None:
            await after()
        failures = 0
        while not self._stopping:
            # Cleared before the read, not after: an event committed while this round runs sets it again, so
            # the next round starts at once instead of after `poll_seconds`.
            self.outbox.wakeup.clear()
            try:
                sent = await self.relay_once(running=True)
                failures = 0
                self.progressed_at = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a fault (broker or database down): wait and try again, lose nothing
                failures += 1
                delay = min(0.2 * 2**failures, 5.0)
                log.warning("outbox relay: %s: %s; retrying in %.1fs", type(exc).__name__, exc, delay)
                await asyncio.sleep(delay)
                continue
            if sent < self.batch and not self._scanned:
                await self._sleep()

    async def _sleep(self) -> None:
        """Until an event is committed (or the relay stops), or the next scan is due."""
        timeout = self.poll_seconds - (time.monotonic() - self._scanned_at) if self._known else self.poll_seconds
        waiter = asyncio.ensure_future(self.outbox.wakeup.wait())
        try:
            await asyncio.wait([waiter], timeout=max(0.0, timeout))
        finally:
            waiter.cancel()

    def stalled_for(self) -> float:
        """Seconds since the relay last published, or last found nothing to publish."""
        return time.monotonic() - self.progressed_at

    async def stalled(self, limit: float) -> str | None:
        """Why the relay counts as stuck: nothing published for `limit` seconds while events wait; else None."""
        stalled = self.stalled_for()
        oldest = await self.outbox.oldest_unsent() if stalled >= limit else None
        if oldest is None:
            return None
        return (f"the outbox relay has published nothing for {stalled:.0f}s while events wait (the oldest "
                f"written at {oldest.isoformat(timespec='seconds')})")

    async def _next_rows(self, now: datetime, lease: bool, running: bool = False) -> list[dict[str, Any]]:
        """Up to one batch of claimable rows, oldest first, from the rows the last scan found.

        A scan reads up to SCANNED claimable rows in one statement, and the batches after it are taken from
        them. The embedded server answered a query of the unsent rows in order by reading every one, whatever
        the limit, so reading one batch at a time cost each batch the whole backlog, and draining a backlog cost
        its square (bench/PROFILE.md). Without a backlog a scan finds less than a batch: one read a round, as
        before. An envelope never changes, so a row read earlier is published as read. Whether it is still this
        relay's to publish is the claim's to say while the relay leases; rows read while other relays could take
        them are read again once it is alone and claims without a lease. A row that comes claimable later (a
        dead relay's lease) is found by the next scan, and a round that fails has the next one scan again.

        `running` (the relay's own rounds, not a call from outside): alone, it takes the rows its process
        committed since the last round (`Outbox.take_committed`) and scans only when it does not know every row
        waiting, or `poll_seconds` after the last scan.
        """
        if self._scanned_leasing != lease:  # found while another relay could take them: they may be sent now
            self._scanned.clear()
            self._known = False
        if running:
            handed, overflowed = self.outbox.take_committed()
            if lease or overflowed:
                self._known = False
            elif self._known:
                self._scanned.extend(handed)
        if not self._scanned and (not running or not self._known
                                  or time.monotonic() - self._scanned_at >= self.poll_seconds):
            await self._scan(now, lease, running)
        return [self._scanned.popleft() for _ in range(min(self.batch, len(self._scanned)))]

    async def _scan(self, now: datetime, lease: bool, running: bool) -> None:
        """Read the claimable rows, oldest first. Running, rows committed before the scan are found by it, and
        those committed while it ran are added if it did not find them; rows of transactions not yet known
        committed are left for their hand-over."""
        if running:
            self.outbox.take_committed()
        self._scanned_leasing = lease
        cursor = self.outbox.collection.find(_claimable(now), {"lease": 0, "lease_until": 0, "lease_owner": 0})
        found = await cursor.sort("_id", ASCENDING).limit(SCANNED).to_list()
        self.scans += 1
        self._scanned_at = time.monotonic()
        if not running:
            self._scanned.extend(found)
            return
        handed, overflowed = self.outbox.take_committed()
        self._known = not lease and not overflowed and len(found) < SCANNED
        if not self._known:
            self._scanned.extend(found)
            return
        writing = self.outbox.writing()
        seen = {row["_id"] for row in found}
        self._scanned.extend(row for row in found if row["_id"] not in writing)
        self._scanned.extend(row for row in handed if row["_id"] not in seen)

    async def claim(self, *, lease: bool = True, running: bool = False) -> list[dict[str, Any]]:
        """Lease up to one batch of unsent rows no other relay holds, oldest first; return those this relay got.

        The read picks candidates; the claim sets this round's own token on those still claimable, each row
        atomically, so of two relays reading the same rows each row goes to one. Where every candidate was
        claimed (the normal case, one relay at a time) no second read is needed.
        """
        now = datetime.now(UTC)
        docs = await self._next_rows(now, lease, running)
        if not docs or not lease:
            return docs  # without a lease (the relay alone in its service, no other can take them): as read
        token = ObjectId()
        modified = 0
        for rows in _by_ids([d["_id"] for d in docs]):
            result = await self.outbox.collection.update_many(
                {**rows, **_claimable(now)},
                {"$set": {"lease": token, "lease_until": now + timedelta(seconds=self.lease_seconds),
                          "lease_owner": self.owner}},
            )
            modified += result.modified_count
        if modified == len(docs):
            return docs
        self.contended += len(docs) - modified
        if modified == 0:
            return []
        mine = await self.outbox.collection.find({"_id": {"$in": [d["_id"] for d in docs]}, "lease": token},
                                                 {"_id": 1}).to_list()
        claimed = {d["_id"] for d in mine}
        return [d for d in docs if d["_id"] in claimed]

    async def relay_once(self, *, running: bool = False) -> int:
        """Claim and publish up to one batch of unsent events; return how many were sent. `running` (the relay's
        own rounds): alone, the rows its process committed are taken as handed over (`_next_rows`)."""
        self._unleased = self.alone()
        try:
            docs = await self.claim(lease=not self._unleased, running=running)
            if not docs:
                return 0
            envelopes = [Envelope.model_validate(d["envelope"]) for d in docs]
            try:
                await asyncio.wait_for(asyncio.gather(*(self.publish(e) for e in envelopes)), self.confirm_seconds)
            except TimeoutError:
                # A publish can wait for ever on a channel its robust connection never restores (aio-pika
                # issue #636), which left the relay stalled after a broker restart: the round fails instead, and
                # its rows are published again.
                raise RelayTimeout(f"{len(envelopes)} events not all confirmed within {self.confirm_seconds:g}s; "
                                   "they are published again") from None
            await self.outbox.mark_sent(docs)
        except BaseException:
            self._scanned.clear()  # rows of this round may be unsent still: the next round scans again, in order
            self._known = False
            raise
        finally:
            self._unleased = False
        self.published += len(docs)
        return len(docs)
