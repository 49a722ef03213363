"""Transactions a killed process left open, aborted by the next process of the same service.

A transaction the server has not yet reaped keeps the documents it wrote locked, so every later write to them waits:
after a `kill -9`, the redelivered events that touch them stall until the server gives up on the dead transaction
(MongoDB's `transactionLifetimeLimitSeconds`, 60 s unless lowered, as compose does; the embedded server's is a fixed
60 s). So each process records in its own database the server sessions (lsids) its transactions use, with a
heartbeat; a process of the same service that finds another's heartbeat older than `stale_after` kills that one's
sessions (`killSessions`, which a database user may do to its own sessions), aborting its open transactions at
once. Killing a session a slow but live process still uses is safe as well: its transaction aborts with a
TransientTransactionError and runs again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import Binary
from pymongo import monitoring
from pymongo.errors import PyMongoError

from shared.mongo import Client, Database

log = logging.getLogger(__name__)

PROCESSES = "processes"
UUID_SUBTYPE = 4
# Sessions opened ahead, so that the pool already holds every session the process's concurrent transactions need
# (two group commits, a job, the drill's clock) and each is recorded before any transaction can use it.
WARM_SESSIONS = 8
# A session the server has not seen for 30 minutes is gone, and any transaction in it long reaped; the driver drops
# it from its pool too. A session unused this long is no longer recorded, so the record does not grow for ever.
SESSION_IDLE_SECONDS = 31 * 60


class SessionRegistry(monitoring.CommandListener):
    """The server sessions this process's transactions use, seen as each transaction starts (a command listener
    on the process's client), recorded with a heartbeat, and the stale records of dead processes reaped."""

    def __init__(self, service: str, *, stale_after: float) -> None:
        self.service = service
        self.instance = uuid.uuid4().hex
        self.stale_after = stale_after
        self.lsids: dict[bytes, float] = {}  # each session's id -> when a transaction last started in it
        self._written: frozenset[bytes] | None = None
        self.reaped = 0
        # Told the instance id of each dead process reaped (the outbox releases the relay leases it held).
        self.on_reaped: list[Callable[[str], Awaitable[object]]] = []
        # The other live processes of the service at the last heartbeat (None before the first count), and what
        # this process says of its relay in each heartbeat: True once every row it publishes is leased first.
        self.peers: int | None = None
        self.leasing: Callable[[], bool] = lambda: True
        self._first_beat: datetime | None = None

    @property
    def alone(self) -> bool:
        """No other process of the service was alive at the last heartbeat (unknown before the first: not alone)."""
        return self.peers == 0

    # -- the command listener -------------------------------------------------------------------------------------

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command.get("startTransaction"):
            self._remember(event.command.get("lsid"))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None

    def _remember(self, lsid: object) -> None:
        if isinstance(lsid, dict) and isinstance(lsid.get("id"), bytes):
            self.lsids[bytes(lsid["id"])] = time.monotonic()

    # -- the record -----------------------------------------------------------------------------------------------

    async def warm(self, client: Client) -> None:
        """Take the pool's first sessions now and record them, before a transaction runs in any of them."""
        sessions = [client.start_session() for _ in range(WARM_SESSIONS)]
        try:
            for session in sessions:
                self._remember(session.session_id)
        finally:
            for session in sessions:
                await session.end_session()

    async def beat(self, db: Database) -> None:
        """Record that this process is alive, and its sessions whenever they changed or the record was gone."""
        idle_since = time.monotonic() - SESSION_IDLE_SECONDS
        self.lsids = {lsid: seen for lsid, seen in self.lsids.items() if seen > idle_since}
        current = frozenset(self.lsids)
        sessions = {"lsids": [Binary(lsid, UUID_SUBTYPE) for lsid in sorted(current)]}
        now = datetime.now(UTC)
        alive = {"service": self.service, "beat_at": now, "leasing": self.leasing()}
        self._first_beat = self._first_beat or now
        written = await db[PROCESSES].update_one(
            {"_id": self.instance}, {"$set": {**alive, **(sessions if current != self._written else {})}},
            upsert=True)
        if written.upserted_id is not None and current == self._written:  # reaped while it was slow
            await db[PROCESSES].update_one({"_id": self.instance}, {"$set": sessions})
        self._written = current

    async def reap(self, db: Database) -> int:
        """Kill the sessions of every other process of this service whose heartbeat stopped; how many processes."""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.stale_after)
        stale = await db[PROCESSES].find({"service": self.service, "_id": {"$ne": self.instance},
                                          "beat_at": {"$lt": cutoff}}).to_list()
        for record in stale:
            lsids = [{"id": Binary(bytes(lsid), UUID_SUBTYPE)} for lsid in record.get("lsids", [])]
            try:
                if lsids:
                    await db.command("killSessions", lsids)
            except PyMongoError as exc:  # not allowed here: the server's own lifetime limit reaps them instead
                log.warning("could not abort the transactions of a stopped %s process: %s", self.service, exc)
            # What the dead process held (its relay's leases) is freed before its record goes: should this fail,
            # the record stays and the next heartbeat frees it, instead of the rows waiting out their lease.
            for reaped in self.on_reaped:
                await reaped(str(record["_id"]))
            await db[PROCESSES].delete_one({"_id": record["_id"], "beat_at": record["beat_at"]})
            log.info("aborted the open transactions of a stopped %s process (%d sessions)", self.service, len(lsids))
        self.reaped += len(stale)
        return len(stale)

    async def watch(self, db: Database) -> None:
        """One heartbeat, the reaping of dead processes' sessions, then the count of the live ones (the service
        runs it every `stale_after / 3` seconds)."""
        await self.beat(db)
        await self.reap(db)
        self.peers = await db[PROCESSES].count_documents({"service": self.service, "_id": {"$ne": self.instance},
                                                          **self._alive()})

    def _alive(self) -> dict[str, Any]:
        return {"beat_at": {"$gte": datetime.now(UTC) - timedelta(seconds=self.stale_after)}}

    async def peers_leasing(self, db: Database) -> None:
        """Until every other live process of the service has said, in a heartbeat after this process's first,
        that its relay leases what it publishes: from then on this process's relay cannot publish a row one of
        theirs is publishing unleased. A process that does not say so within two `stale_after` is waited for no
        longer (it is dying, or does not lease: at-least-once holds, a row may go out twice)."""
        deadline = time.monotonic() + 2 * self.stale_after
        while time.monotonic() < deadline:
            if await self._all_said_leasing(db):
                return
            await asyncio.sleep(self.stale_after / 6)
        log.warning("%s: started relaying before every other process said it leases", self.service)

    async def _all_said_leasing(self, db: Database) -> bool:
        first = self._first_beat
        try:
            others = await db[PROCESSES].find({"service": self.service, "_id": {"$ne": self.instance},
                                               **self._alive()}, {"leasing": 1, "beat_at": 1}).to_list()
        except PyMongoError as exc:  # the database away for a moment: ask again
            log.debug("the other processes' heartbeats could not be read: %s", exc)
            return False
        return first is not None and all(o.get("leasing") is True and _aware(o["beat_at"]) > first for o in others)

    async def leave(self, db: Database) -> None:
        """A process stopping cleanly has no transaction left open: its record goes with it."""
        await db[PROCESSES].delete_one({"_id": self.instance})


def _aware(moment: datetime) -> datetime:
    """A time read back from the database (naive, UTC unless the client is tz-aware) as an aware one."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
