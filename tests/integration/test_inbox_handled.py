"""`GET /handled`'s look-up: which of some events any of a service's consumers has handled, against the real
database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.envelope import new_event
from shared.inbox import Inbox, claim
from shared.mongo import make_client
from shared.settings import StoreSettings

pytestmark = pytest.mark.integration


async def test_an_event_counts_as_handled_when_any_consumer_claimed_it_and_only_then(
    mongo_url: str, db_prefix: str,
) -> None:
    client = make_client(StoreSettings(MONGO_URL=mongo_url), "inbox-test")
    try:
        inbox = Inbox(client[f"{db_prefix}inbox"])
        await inbox.ensure_indexes()
        consumers = [f"kerneltest.consumer-{n}" for n in range(25)]
        events = [new_event("kerneltest.work.done", {"n": n}, source="kerneltest") for n in range(300)]
        now = datetime.now(UTC)
        # Event n handled by consumer n % 25, the first 250 only; event 0 by two consumers.
        claims = [claim(consumers[n % 25], e, now) for n, e in enumerate(events[:250])]
        claims.append(claim(consumers[7], events[0], now))
        await inbox.collection.insert_many(claims)
        asked = [str(e.event_id) for e in events] + [str(uuid.uuid4())]

        found = await inbox.handled_among(consumers, asked)

        assert found == {str(e.event_id) for e in events[:250]}
        assert await inbox.handled_among(consumers[:1], asked) == {str(e.event_id) for e in events[:250:25]}
        assert await inbox.handled_among(["kerneltest.nobody"], asked) == set()
    finally:
        await client.drop_database(f"{db_prefix}inbox")
        await client.close()
