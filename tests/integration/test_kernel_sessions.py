"""A transaction left open by a killed process is aborted by the next process of the same service, so the
documents it wrote are free again in seconds, not when the database reaps it a minute later."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import pytest

from shared.mongo import make_client
from shared.sessions import SessionRegistry
from shared.settings import StoreSettings
from tests.faults.support.results import record
from tests.support.processes import ROOT

pytestmark = pytest.mark.integration

# A process of the service "kerneltest" that records its sessions, opens a transaction writing one document, says
# so, and waits to be killed with the transaction open.
KILLED = """
import asyncio, sys
from shared.mongo import make_client
from shared.sessions import SessionRegistry
from shared.settings import StoreSettings

async def main(url, database):
    registry = SessionRegistry("kerneltest", stale_after=1.0)
    client = make_client(StoreSettings(MONGO_URL=url), "kerneltest", listeners=[registry])
    db = client[database]
    await registry.warm(client)
    session = client.start_session()
    await session.start_transaction()
    await db["projects"].update_one({"_id": "p-1"}, {"$set": {"status": "awarded"}}, session=session)
    await registry.beat(db)
    print("open", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.timeout(120)
async def test_the_next_process_aborts_what_a_killed_one_left_open_and_the_document_is_free_in_seconds(
    mongo_url: str, db_prefix: str,
) -> None:
    database = f"{db_prefix}sessions"
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "kerneltest")
    db = client[database]
    await db["projects"].insert_one({"_id": "p-1", "status": "published"})
    killed = await asyncio.create_subprocess_exec(sys.executable, "-c", KILLED, mongo_url, database, cwd=ROOT,
                                                  stdout=asyncio.subprocess.PIPE,
                                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert killed.stdout is not None
        assert (await asyncio.wait_for(killed.stdout.readline(), 60)).strip() == b"open"
        os.kill(killed.pid, signal.SIGKILL)
        await killed.wait()
        killed_at = time.monotonic()
        registry = SessionRegistry("kerneltest", stale_after=1.0)
        successor = make_client(StoreSettings(MONGO_URL=mongo_url), "kerneltest", listeners=[registry])
        try:
            while await registry.reap(successor[database]) == 0:
                assert time.monotonic() - killed_at < 30, "the killed process's record never went stale"
                await asyncio.sleep(0.2)
            async with successor.start_session() as session, await session.start_transaction():
                await successor[database]["projects"].update_one({"_id": "p-1"}, {"$set": {"status": "withdrawn"}},
                                                                 session=session)
            free_after = time.monotonic() - killed_at
        finally:
            await successor.close()
        assert (await db["projects"].find_one({"_id": "p-1"}))["status"] == "withdrawn"
        assert await db["processes"].count_documents({}) == 0
    finally:
        if killed.returncode is None:
            killed.kill()
        await client.drop_database(database)
        await client.close()
    record("kill -9: a transaction the killed process left open", {
        "what": "a process of the service writes a document in a transaction and is killed with it open; the next "
                "process of the service reaps its sessions",
        "heartbeat taken for dead after (s)": 1.0,
        "document writable again, s after the kill": round(free_after, 1),
        "without the reaping": "the database's transaction lifetime: 60 s on the embedded server"})
    assert free_after < 10, f"the document was free only {free_after:.1f}s after the kill"
